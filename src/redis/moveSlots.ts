import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import type { NodeRef } from '../domain/nodeRef.ts';
import type { SlotMove } from '../domain/slotMove.ts';
import { MAX_SLOT } from '../domain/slotRange.ts';
import { rangesToSlots } from '../domain/slotSet.ts';
import { keyPacer } from './keyPacer.ts';
import { migrateSlotsKeys, type MigrateKeysOptions } from './migrateSlotKeys.ts';
import type { MigrateTarget } from './migrateCommand.ts';
import { requireNodeAddress } from '../domain/nodeAddress.ts';
import type { NodeConnections } from './nodeConnections.ts';
import { readClusterView } from './readClusterView.ts';
import { setSlotLaneCount, type NodeLanes } from './setSlotLanes.ts';
import { resolveHost } from './resolveHost.ts';
import { claimImportedSlots, setSlotImporting, setSlotMigrating, setSlotNode, slotStatesOf, type SlotStates } from './setSlot.ts';

/** One move as the engine works it: the slots one by one, sorted. */
interface ExpandedMove {
  readonly from: NodeRef;
  readonly to: NodeRef;
  readonly slots: readonly number[];
}

/** Progress so far; `slotsMoved` also counts slots found already with their target (a resumed run). */
export interface MoveSlotsProgress {
  readonly slotsMoved: number;
  readonly keysMoved: number;
  readonly currentSlot?: number;
}

/**
 * Defaults of {@link MoveSlotsOptions}. Measured on 2 shared cores, Redis 7.0.15, moving 2730
 * slots / 50,000 keys between two masters: windows of 64-256 slots were equally fast (~1.0 s),
 * and 2 windows in flight per source beat 1 (~1.35 s) and 3 (~1.1 s). 128 slots is also what a
 * cancel may have to finish per window (~25 ms at ~20 keys per slot).
 */
export const MOVE_SLOTS_DEFAULTS = { concurrency: 4, slotWindow: 128, windowsInFlight: 2 } as const;

/** How to move; every field is optional. Key batching options are those of `migrateSlotsKeys`. */
export interface MoveSlotsOptions extends Omit<MigrateKeysOptions, 'onKeysMoved' | 'sourceImporting' | 'signal'> {
  /** Source nodes moving at the same time (each source runs its moves one after another). */
  readonly concurrency?: number;
  /** Slots opened, migrated and closed together (their SETSLOT calls share one pipeline per node). */
  readonly slotWindow?: number;
  /** Windows of one source in progress at once (opening, migrating, closing); their key migration never overlaps. */
  readonly windowsInFlight?: number;
  /** Cancellation: the windows in flight finish (no slot is left open), then this throws the signal's reason. */
  readonly signal?: AbortSignal;
  /** Called after every pipeline of MIGRATEs and after every window. */
  readonly onProgress?: (progress: MoveSlotsProgress) => void;
  /** At most this many keys per second on average, all sources together (unset: as fast as the nodes go). */
  readonly maxKeysPerSecond?: number;
}

/** What a run did: slots moved now, slots found already moved, keys moved. */
export interface MoveSlotsResult {
  readonly slotsMoved: number;
  readonly slotsAlreadyDone: number;
  readonly keysMoved: number;
}

/**
 * Moves slots with their keys by the cluster specification's live resharding, window by window:
 * `SETSLOT IMPORTING` on the target and then `SETSLOT MIGRATING` on the source (one pipeline each
 * per window), the keys with `migrateSlotsKeys`, then `SETSLOT NODE` on the target first, then the
 * source, then every other master in `masters`. Moves with different sources run in parallel (at
 * most `concurrency`), except that a node never migrates as a source while it is the target of
 * another running move (see `mayStartBeside`); the moves of one source run one after another, and
 * within them the key migration of one window starts only when the previous one has ended, so a
 * source never serves two MIGRATE streams. What overlaps is the rest: while window k migrates,
 * window k+1 opens and window k-1 closes (`windowsInFlight`, default 2).
 *
 * Resumable: a slot the target already serves is not moved again (only the other nodes' views are
 * corrected); a slot left migrating/importing by an interrupted run is continued. A slot that
 * neither the source nor the target serves throws `slot_not_on_source` before anything changes
 * in its window.
 *
 * Cancellation (`signal`) takes effect between windows: no new window starts, and the windows in
 * flight (at most `windowsInFlight` per source) finish completely, keys migrated and slots closed,
 * so a cancelled run leaves no slot open; then this throws the signal's reason. A failure stops
 * new windows the same way and throws the first error; the window that failed (e.g. `busy_keys`,
 * `key_too_big`) stays open for a rerun, which continues it, or for `closeOpenSlot`.
 */
export async function moveSlots(
  connections: NodeConnections,
  planned: readonly SlotMove[],
  masters: readonly NodeRef[],
  opts: MoveSlotsOptions = {},
): Promise<MoveSlotsResult> {
  const moves: ExpandedMove[] = planned.map((m) => ({ from: m.from, to: m.to, slots: rangesToSlots(m.slots) }));
  validateMoves(moves);
  const totals = { slotsMoved: 0, slotsAlreadyDone: 0, keysMoved: 0 };
  const report = (currentSlot?: number): void =>
    opts.onProgress?.({
      slotsMoved: totals.slotsMoved + totals.slotsAlreadyDone,
      keysMoved: totals.keysMoved,
      ...(currentSlot === undefined ? {} : { currentSlot }),
    });
  const failed = new AbortController();
  let cancelled = false;
  const shouldStop = (): boolean => {
    if (failed.signal.aborted) return true;
    if (opts.signal?.aborted) cancelled = true;
    return cancelled;
  };
  // Lanes per node for SETSLOT batches, decided once per node and run (see `setSlotLaneCount`).
  const laneCache = new Map<string, Promise<NodeLanes>>();
  const lanesFor = (address: string): Promise<NodeLanes> => {
    let lanes = laneCache.get(address);
    if (!lanes) {
      lanes = (async () => {
        const client = await connections.get(address);
        const count = await setSlotLaneCount(client);
        if (count === 1) return [client] as const;
        const [first, ...rest] = await connections.lanes(address, count);
        return [first!, ...rest] as const;
      })();
      laneCache.set(address, lanes);
    }
    return lanes;
  };
  const run: RunSettings = {
    connections,
    lanesFor,
    masters,
    slotWindow: Math.max(1, opts.slotWindow ?? MOVE_SLOTS_DEFAULTS.slotWindow),
    windowsInFlight: Math.max(1, opts.windowsInFlight ?? MOVE_SLOTS_DEFAULTS.windowsInFlight),
    migrateOptions: {
      ...opts,
      signal: undefined,
      ...pacing(opts),
      onKeysMoved: (keys, slot) => {
        totals.keysMoved += keys;
        report(slot);
      },
    },
    shouldStop,
    onWindowDone: (window, opened) => {
      totals.slotsMoved += opened;
      totals.slotsAlreadyDone += window.length - opened;
      report(window.at(-1));
    },
  };

  // Moves of one source after another, grouped by source in the order given.
  const sources = [...new Set(moves.map((m) => m.from.id))];
  const pending = sources.flatMap((id) => moves.filter((m) => m.from.id === id));
  const running = new Set<ExpandedMove>();
  // Resolved (and replaced) each time a move ends, for runners waiting until one may start.
  let finished = settledSignal();
  const runMoves = async (): Promise<void> => {
    while (!shouldStop()) {
      const next = pending.findIndex((m) => mayStartBeside(m, running));
      if (next < 0) {
        if (pending.length === 0) return;
        await finished.promise;
        continue;
      }
      const [move] = pending.splice(next, 1) as [ExpandedMove];
      running.add(move);
      try {
        await runMove(run, move);
      } finally {
        running.delete(move);
        finished.resolve();
        finished = settledSignal();
      }
    }
  };
  const concurrency = Math.max(1, opts.concurrency ?? MOVE_SLOTS_DEFAULTS.concurrency);
  const runners = Array.from({ length: Math.min(concurrency, sources.length) }, () =>
    runMoves().catch((err: unknown) => {
      failed.abort(err);
      throw err;
    }),
  );
  // allSettled, not all: when one source fails, the others must finish their window before we return.
  const settled = await Promise.allSettled(runners);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  if (cancelled) throw opts.signal?.reason;
  return totals;
}

/**
 * The pace of a run with `maxKeysPerSecond`: one pacer for all sources (so they never burst
 * together), rounds of a tenth of a second's worth of keys so the pace is smooth. A cancel ends
 * the waits, so the windows in flight finish at full speed and the cancel takes effect at once.
 */
function pacing(opts: MoveSlotsOptions): Pick<MigrateKeysOptions, 'pace' | 'keysPerRound'> {
  if (opts.maxKeysPerSecond === undefined) return {};
  const pacer = keyPacer(opts.maxKeysPerSecond);
  return {
    pace: {
      reserve: (keys) => pacer.reserve(keys, opts.signal).catch(() => () => undefined),
    },
    keysPerRound: Math.ceil(opts.maxKeysPerSecond / 10),
  };
}

function settledSignal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Whether `move` may start while `running` moves run. One move per source at a time, and never a
 * node as a source while it is a target: MIGRATE blocks its source until the target answers, so
 * two nodes migrating to each other (or any cycle) would each wait for the other until the
 * MIGRATE timeout. Several sources into one target are fine. This also means that a target's
 * single epoch bump per window (`claimImportedSlots`) cannot be outrun by a bump of the slots'
 * source, which is never importing at the same time.
 */
function mayStartBeside(move: ExpandedMove, running: ReadonlySet<ExpandedMove>): boolean {
  for (const r of running) {
    if (r.from.id === move.from.id || r.from.id === move.to.id || r.to.id === move.from.id) return false;
  }
  return true;
}

/** What every move of one `moveSlots` run shares. */
interface RunSettings {
  readonly connections: NodeConnections;
  /** The connections a node's SETSLOT batches are spread over. */
  readonly lanesFor: (address: string) => Promise<NodeLanes>;
  readonly masters: readonly NodeRef[];
  readonly slotWindow: number;
  readonly windowsInFlight: number;
  readonly migrateOptions: MigrateKeysOptions;
  /** True once the run is cancelled or has failed: no new window starts. */
  readonly shouldStop: () => boolean;
  /** A window is closed; `opened` of its slots were moved now, the others had been already. */
  readonly onWindowDone: (window: readonly number[], opened: number) => void;
}

/**
 * One move, window by window. Windows overlap: while one migrates its keys, the next one opens and
 * the previous one closes. Key migration itself is strictly one window after the other
 * (`migrating` chains it), so the source serves one MIGRATE stream.
 */
async function runMove(run: RunSettings, move: ExpandedMove): Promise<void> {
  const ctx = await openMove(run, move);
  const slots = [...move.slots].sort((a, b) => a - b);
  let migrating: Promise<unknown> = Promise.resolve();
  const inFlight = new Set<Promise<unknown>>();
  let firstError: { error: unknown } | undefined;
  for (let i = 0; i < slots.length && !firstError && !run.shouldStop(); i += run.slotWindow) {
    while (inFlight.size >= run.windowsInFlight) await Promise.race(inFlight);
    if (firstError || run.shouldStop()) break;
    const window = slots.slice(i, i + run.slotWindow);
    const task = (async () => {
      const opened = await openWindow(ctx, window);
      const turn = migrating.then(() => migrateSlotsKeys(ctx.source, ctx.target, opened.toMigrate, run.migrateOptions));
      migrating = turn.catch(() => undefined);
      await turn;
      await closeWindow(ctx, window);
      run.onWindowDone(window, opened.toOpen.length);
    })().catch((error: unknown) => {
      firstError ??= { error };
    });
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  }
  await Promise.all(inFlight);
  if (firstError) throw firstError.error;
}

interface MoveContext {
  readonly move: ExpandedMove;
  readonly source: Redis;
  readonly target: MigrateTarget;
  readonly sourceLanes: NodeLanes;
  readonly targetLanes: NodeLanes;
  readonly others: readonly NodeRef[];
  readonly lanesFor: (address: string) => Promise<NodeLanes>;
}

async function openMove(run: RunSettings, move: ExpandedMove): Promise<MoveContext> {
  const { host, port } = requireNodeAddress(move.to.address);
  const [source, targetClient, ip, sourceLanes, targetLanes] = await Promise.all([
    run.connections.get(move.from.address),
    run.connections.get(move.to.address),
    resolveHost(host),
    run.lanesFor(move.from.address),
    run.lanesFor(move.to.address),
  ]);
  const others = run.masters.filter((m) => m.id !== move.from.id && m.id !== move.to.id);
  return { move, source, target: { ip, port, client: targetClient }, sourceLanes, targetLanes, others, lanesFor: run.lanesFor };
}

/**
 * Opens one window of slots: IMPORTING on the target, then MIGRATING on the source (one pipeline
 * each, from one read of both nodes' views). Returns the slots it opened (the others were done)
 * and the slots whose keys must move (the opened ones, plus any the source still claims).
 */
async function openWindow(ctx: MoveContext, window: readonly number[]): Promise<{ toOpen: number[]; toMigrate: number[] }> {
  const { move, source, target } = ctx;
  const [src, dst] = (await Promise.all([readClusterView(source), readClusterView(target.client)])).map(slotStatesOf) as [
    SlotStates,
    SlotStates,
  ];
  for (const [node, state] of [[move.from, src], [move.to, dst]] as const) {
    if (state.myId !== node.id) {
      throw new DomainError('precondition', 'node_id_mismatch', `${node.address} is node ${state.myId}, not ${node.id} as planned`);
    }
  }
  const toOpen = window.filter((s) => dst.owners[s] !== move.to.id && src.owners[s] === move.from.id);
  const stray = window.filter((s) => dst.owners[s] !== move.to.id && src.owners[s] !== move.from.id);
  if (stray.length > 0) {
    const first = stray[0] as number;
    throw new DomainError(
      'precondition',
      'slot_not_on_source',
      `slot(s) ${stray.slice(0, 10).join(', ')} are served neither by the source ${move.from.address} nor by the target ` +
        `${move.to.address} (${move.from.address} says slot ${first} is served by ${src.owners[first] ?? 'nobody'})`,
    );
  }
  await setSlotImporting(ctx.targetLanes, toOpen, move.from.id, dst);
  await setSlotMigrating(ctx.sourceLanes, toOpen, move.to.id, src);
  // Slots the target already serves but the source still claims may still hold keys (a run that
  // died between the two SETSLOT NODE calls, with writes in between): migrate those too.
  return { toOpen, toMigrate: window.filter((s) => src.owners[s] === move.from.id) };
}

/**
 * `SETSLOT NODE` for a migrated window: the target first (with one broadcast for the window, see
 * `claimImportedSlots`), then the source, then the other masters.
 */
async function closeWindow(ctx: MoveContext, window: readonly number[]): Promise<void> {
  const ownerId = ctx.move.to.id;
  await claimImportedSlots(ctx.targetLanes, window);
  await setSlotNodeUnlessReplica(ctx.sourceLanes, window, ownerId);
  await Promise.all(ctx.others.map(async (m) => setSlotNodeUnlessReplica(await ctx.lanesFor(m.address), window, ownerId)));
}

/**
 * A master that gives away its last slot becomes a replica of the node that took it (Redis 7's
 * `cluster-allow-replica-migration`, on by default), and a replica refuses SETSLOT ("Please use
 * SETSLOT only with masters"). It follows its new master's slot map anyway, so, like redis-cli,
 * that refusal is not an error.
 */
async function setSlotNodeUnlessReplica(client: Redis | NodeLanes, window: readonly number[], ownerId: string): Promise<void> {
  try {
    await setSlotNode(client, window, ownerId);
  } catch (err) {
    if (err instanceof DomainError && /only with masters/i.test(err.message)) return;
    throw err;
  }
}

function validateMoves(moves: readonly ExpandedMove[]): void {
  const seen = new Set<number>();
  for (const [i, move] of moves.entries()) {
    if (move.from.id === move.to.id) {
      throw new DomainError('invalid', 'move_to_self', `move ${i}: source and target are the same node ${move.from.address}`);
    }
    for (const slot of move.slots) {
      if (!Number.isInteger(slot) || slot < 0 || slot > MAX_SLOT) {
        throw new DomainError('invalid', 'invalid_slot_range', `move ${i}: slot ${slot} is outside 0-${MAX_SLOT}`);
      }
      if (seen.has(slot)) throw new DomainError('invalid', 'slot_moved_twice', `slot ${slot} appears in more than one move`);
      seen.add(slot);
    }
  }
}
