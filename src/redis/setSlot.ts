import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import { SLOT_COUNT } from '../domain/slotRange.ts';
import { addressOf } from './clientAddress.ts';
import { readClusterView, type ClusterView } from './readClusterView.ts';
import { settlePipeline } from './settlePipeline.ts';
import { lanesOf, type NodeLanes } from './setSlotLanes.ts';

/** What one node says about each slot in its own `CLUSTER NODES`: owner, and its own open states. */
export interface SlotStates {
  readonly myId: string;
  /** Owner id per slot in this node's view (undefined = nobody). */
  readonly owners: readonly (string | undefined)[];
  /** slot -> node id this node is migrating it to. */
  readonly migrating: ReadonlyMap<number, string>;
  /** slot -> node id this node is importing it from. */
  readonly importing: ReadonlyMap<number, string>;
}

/** Reads the slot states of the node behind `client` (one `CLUSTER NODES`). */
export async function readSlotStates(client: Redis): Promise<SlotStates> {
  return slotStatesOf(await readClusterView(client));
}

/** Builds {@link SlotStates} from an already read view. */
export function slotStatesOf(view: ClusterView): SlotStates {
  const owners = new Array<string | undefined>(SLOT_COUNT);
  for (const node of view.nodes) {
    if (node.role !== 'master') continue;
    for (const [start, end] of node.slots) owners.fill(node.id, start, end + 1);
  }
  return {
    myId: view.myself.id,
    owners,
    migrating: new Map(view.myself.migrating.map((o) => [o.slot, o.nodeId])),
    importing: new Map(view.myself.importing.map((o) => [o.slot, o.nodeId])),
  };
}

/**
 * Marks `slots` as importing from `sourceId` on the target (`CLUSTER SETSLOT s IMPORTING src`,
 * all in one pipeline). Skips slots already importing from that source and slots the target
 * already serves (their move has finished). `known` is the target's state as the caller has just
 * read it (saves the read; each setSlot function accepts one).
 *
 * @returns how many slots were changed.
 * @example await setSlotImporting(target, [100, 101], sourceId)
 */
export async function setSlotImporting(target: Redis | NodeLanes, slots: readonly number[], sourceId: string, known?: SlotStates): Promise<number> {
  const state = known ?? (await readSlotStates(lanesOf(target)[0]));
  const pending = slots.filter((s) => state.owners[s] !== state.myId && state.importing.get(s) !== sourceId);
  return sendSetSlot(target, pending, (s) => ['SETSLOT', s, 'IMPORTING', sourceId]);
}

/**
 * Marks `slots` as migrating to `targetId` on the source (`CLUSTER SETSLOT s MIGRATING dst`, one
 * pipeline). Call it only after {@link setSlotImporting} on the target, so that the ASK redirects
 * it causes land on a node that accepts them. Skips slots already migrating to that target and
 * slots this node no longer serves (their move has finished).
 *
 * @returns how many slots were changed.
 */
export async function setSlotMigrating(source: Redis | NodeLanes, slots: readonly number[], targetId: string, known?: SlotStates): Promise<number> {
  const state = known ?? (await readSlotStates(lanesOf(source)[0]));
  const pending = slots.filter((s) => state.owners[s] === state.myId && state.migrating.get(s) !== targetId);
  return sendSetSlot(source, pending, (s) => ['SETSLOT', s, 'MIGRATING', targetId]);
}

/**
 * Assigns `slots` to `ownerId` in the view of the node behind `client` (`CLUSTER SETSLOT s NODE
 * id`, one pipeline). On the new owner this also closes the import and bumps its config epoch; on
 * the old owner it closes the migration (Redis refuses while the node still holds keys of the
 * slot, which surfaces as a `setslot_refused` error). Skips slots this node already sees served by
 * `ownerId` with nothing open on itself.
 *
 * Order matters (cluster specification, live resharding): the new owner first, then the old one,
 * then the other masters.
 *
 * @returns how many slots were changed.
 */
export async function setSlotNode(client: Redis | NodeLanes, slots: readonly number[], ownerId: string): Promise<number> {
  const state = await readSlotStates(lanesOf(client)[0]);
  const pending = slots.filter(
    (s) => state.owners[s] !== ownerId || state.migrating.has(s) || (ownerId === state.myId && state.importing.has(s)),
  );
  return sendSetSlot(client, pending, (s) => ['SETSLOT', s, 'NODE', ownerId]);
}

/**
 * `SETSLOT NODE` on the new owner for a window of slots it has imported, announced to the cluster
 * with one broadcast instead of one per slot.
 *
 * Redis answers `SETSLOT s NODE myself` on an importing node by bumping its config epoch (when it
 * is not already the greatest) and broadcasting a PONG with its whole slot map to every node; every
 * receiver then walks all 16384 slots of that map. For a window of 128 slots that is 128
 * broadcasts, which cost the other masters more CPU than the keys they migrate meanwhile. Here,
 * in one pipeline: `CLUSTER BUMPEPOCH` first (the epoch the per-slot path would reach at its first
 * slot), then `SETSLOT STABLE` + `SETSLOT NODE myself` for every slot but the last (same ownership,
 * no broadcast), and a plain `SETSLOT NODE` for the last one, whose broadcast carries the whole
 * window. Between a STABLE and its NODE a client is redirected in a loop for a moment, never
 * served by the wrong node: the source is migrating and no longer has the keys, so nothing is
 * written anywhere.
 *
 * The epoch is bumped once per window, not per slot: call it only while no source of these slots
 * is importing elsewhere at the same time (a bump there could outrank this one); `moveSlots` never
 * runs a node as a source while it is a target.
 *
 * @returns how many slots were changed.
 */
export async function claimImportedSlots(target: Redis | NodeLanes, slots: readonly number[]): Promise<number> {
  const lanes = lanesOf(target);
  const state = await readSlotStates(lanes[0]);
  const pending = slots.filter((s) => state.owners[s] !== state.myId || state.importing.has(s) || state.migrating.has(s));
  if (pending.length === 0) return 0;
  const last = pending.length - 1;
  const open = (slot: number): boolean => state.importing.has(slot) || state.migrating.has(slot);
  const chains = pending.map((slot, i): ClusterArgs[] => [
    ...(i < last && open(slot) ? [['SETSLOT', slot, 'STABLE']] : []),
    ['SETSLOT', slot, 'NODE', state.myId],
  ]);
  if (lanes.length === 1) {
    await sendClusterCommands(lanes[0], [['BUMPEPOCH'], ...chains.flat()]);
    return pending.length;
  }
  // Over several lanes the order must still hold: the bump first, each slot's STABLE before its
  // NODE (one lane per slot), and the broadcasting NODE of the last slot after all the others.
  await sendClusterCommands(lanes[0], [['BUMPEPOCH']]);
  await sendChains(lanes, chains.slice(0, last));
  await sendClusterCommands(lanes[0], chains[last]!);
  return pending.length;
}

/**
 * Closes any open state of `slots` on the node behind `client` (`CLUSTER SETSLOT s STABLE`, one
 * pipeline), leaving ownership as this node sees it. Skips slots with nothing open on this node.
 *
 * @returns how many slots were changed.
 */
export async function setSlotStable(client: Redis | NodeLanes, slots: readonly number[]): Promise<number> {
  const state = await readSlotStates(lanesOf(client)[0]);
  const pending = slots.filter((s) => state.migrating.has(s) || state.importing.has(s));
  return sendSetSlot(client, pending, (s) => ['SETSLOT', s, 'STABLE']);
}

/** One `CLUSTER ...` command, without the command name. */
type ClusterArgs = readonly (string | number)[];

/**
 * Sends `slots.map(command)`, one pipeline per lane (the slots dealt out in turn); throws
 * `setslot_refused` naming the first refusal.
 */
async function sendSetSlot(client: Redis | NodeLanes, slots: readonly number[], command: (slot: number) => ClusterArgs): Promise<number> {
  await sendChains(lanesOf(client), slots.map((s) => [command(s)]));
  return slots.length;
}

/**
 * Sends chains of commands, each chain whole and in order on one lane, the chains dealt out over
 * the lanes in turn, one pipeline per lane, all lanes at once. Throws the first refusal.
 */
async function sendChains(lanes: NodeLanes, chains: readonly (readonly ClusterArgs[])[]): Promise<void> {
  if (lanes.length === 1 || chains.length <= 1) {
    await sendClusterCommands(lanes[0], chains.flat());
    return;
  }
  const perLane = lanes.map((): ClusterArgs[] => []);
  chains.forEach((chain, i) => perLane[i % lanes.length]!.push(...chain));
  const results = await Promise.allSettled(perLane.map((commands, i) => sendClusterCommands(lanes[i]!, commands)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function sendClusterCommands(client: Redis, commands: readonly ClusterArgs[]): Promise<void> {
  if (commands.length === 0) return;
  const pipeline = client.pipeline();
  for (const args of commands) pipeline.call('CLUSTER', ...args);
  const replies = await settlePipeline(pipeline);
  const failedAt = replies.findIndex(([err]) => err !== null);
  if (failedAt < 0) return;
  const err = replies[failedAt]?.[0] as Error;
  const failures = replies.filter(([e]) => e !== null).length;
  throw new DomainError(
    'precondition',
    'setslot_refused',
    `${addressOf(client)}: CLUSTER ${(commands[failedAt] ?? []).join(' ')} failed: ${err.message}` +
      (failures > 1 ? ` (and ${failures - 1} more command(s) failed)` : ''),
    [],
    { cause: err },
  );
}
