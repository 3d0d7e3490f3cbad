import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import type { KeyPacer } from './keyPacer.ts';
import { migrateBusyKeys } from './migrateBusyKeys.ts';
import { canMigrateByScript, migrateByScript } from './migrateByScript.ts';
import { classifyMigrateReply, describeKey, migrateArgs, type MigrateTarget } from './migrateCommand.ts';
import type { NodeAuth } from './nodeAuth.ts';
import { listSlotKeys, queueListSlotKeys } from './listSlotKeys.ts';
import { addressOf } from './clientAddress.ts';
import { chunkByBudget, planMigrateBatches, type KeyBatch } from './planMigrateBatches.ts';
import { settlePipeline } from './settlePipeline.ts';

/**
 * Defaults of {@link MigrateKeysOptions}. 1000 keys and 8 MiB per MIGRATE keep one call well under
 * the 5 s timeout on any sane link (8 MiB is ~70 ms at 1 Gbit/s); Redis 7 applies the timeout to
 * writing the whole batch and to each reply, so the byte bound is what keeps big values safe.
 */
export const MIGRATE_DEFAULTS = { batchKeys: 1000, batchBytes: 8 * 1024 * 1024, timeoutMs: 5_000 } as const;

/** How keys are moved; every field is optional (see {@link MIGRATE_DEFAULTS}). */
export interface MigrateKeysOptions {
  /** Keys listed per slot and pass (`GETKEYSINSLOT`), and at most per MIGRATE. */
  readonly batchKeys?: number;
  /** Bytes (by `MEMORY USAGE`) at most per MIGRATE and per pipeline of MIGRATEs; `Infinity` skips sizing. */
  readonly batchBytes?: number;
  /** MIGRATE's own timeout in ms. The source's connection needs a longer command timeout. */
  readonly timeoutMs?: number;
  /** Overwrite keys the target already has with different values (BUSYKEY) instead of failing. */
  readonly replace?: boolean;
  /** Credentials of the target, sent inside MIGRATE (`AUTH` / `AUTH2`). */
  readonly auth?: NodeAuth;
  /** Checked between rounds; aborting throws its reason and leaves the slot open. */
  readonly signal?: AbortSignal;
  /** Called after each pipeline of MIGRATEs with the keys it moved and the slot of its first batch. */
  readonly onKeysMoved?: (keys: number, slot: number) => void;
  /** Paces the migration: awaited after each round (script call or pipeline) with the keys it moved. */
  readonly pace?: KeyPacer;
  /** At most this many keys per script call (to keep pacing smooth); at most `SCRIPT_CALL_LIMITS.keys`. */
  readonly keysPerRound?: number;
  /**
   * The source does not serve these slots but is importing them (rolling a migration back from
   * its target): its keyed reads (`MEMORY USAGE`, `DUMP`) then need `ASKING`.
   */
  readonly sourceImporting?: boolean;
}

/** After this many rounds in a row that moved nothing, give up instead of looping forever. */
const MAX_IDLE_ROUNDS = 3;

/**
 * Moves every key of `slot` from `source` to `target` with `CLUSTER GETKEYSINSLOT` + `MIGRATE ...
 * KEYS` until the slot is empty on the source. The slot must be open (source migrating, target
 * importing) or the target must already serve it. See {@link migrateSlotsKeys}.
 *
 * @example await migrateSlotKeys(source, { ip: '10.0.0.6', port: 7000, client: target }, 42, { auth })
 */
export async function migrateSlotKeys(
  source: Redis,
  target: MigrateTarget,
  slot: number,
  opts: MigrateKeysOptions = {},
): Promise<{ keysMoved: number }> {
  return migrateSlotsKeys(source, target, [slot], opts);
}

/**
 * Moves every key of all `slots` from `source` to `target`. Where it can (see `canMigrateByScript`),
 * a script on the source does it without the key names leaving the node; the slots it leaves (a
 * MIGRATE error, a refused script) and every slot where it cannot go by the pipeline path below,
 * many slots per round trip. A pass is:
 * list the keys of every pending slot with their `MEMORY USAGE` (one script call, see
 * `listSlotKeys`), then pipelines of `MIGRATE` (one per batch of one slot, at most `batchBytes`
 * per pipeline), the last of which also lists what is left; passes repeat until no slot has keys.
 * The pipelined MIGRATEs run one after another on the source, so this is a single MIGRATE stream;
 * what it saves is the client round trips between them.
 *
 * Batches hold at most `batchKeys` keys and `batchBytes` bytes; a key bigger than `batchBytes`
 * goes alone. When a batch fails with IOERR (timeout), that slot's budget is halved and its keys
 * go again; when a single key fails so, this throws a DomainError (`precondition`, `key_too_big`)
 * naming the key and its size (with the Redis message, since an unreachable target looks the
 * same). BUSYKEY is resolved by comparing values (see `migrateBusyKeys`). Any other MIGRATE error
 * throws `migrate_failed` with the Redis message. Keys that moved before an error stay moved.
 *
 * Idempotent: an empty slot costs one listing. Never moves keys with DUMP/RESTORE/DEL.
 */
export async function migrateSlotsKeys(
  source: Redis,
  target: MigrateTarget,
  slots: readonly number[],
  opts: MigrateKeysOptions = {},
): Promise<{ keysMoved: number }> {
  // Paced, no MIGRATE moves more keys than one pacing round, so the limit holds batch by batch.
  const batchKeys = Math.min(opts.batchKeys ?? MIGRATE_DEFAULTS.batchKeys, opts.keysPerRound ?? Infinity);
  const batchBytes = opts.batchBytes ?? MIGRATE_DEFAULTS.batchBytes;
  const settings = {
    timeoutMs: opts.timeoutMs ?? MIGRATE_DEFAULTS.timeoutMs,
    replace: opts.replace ?? false,
    auth: opts.auth,
    sourceImporting: opts.sourceImporting ?? false,
  };
  let pending = [...new Set(slots)];
  let keysMoved = 0;
  if (canMigrateByScript(source, { hasPassword: settings.auth?.password !== undefined, sourceImporting: settings.sourceImporting })) {
    const fast = await migrateByScript(source, target, pending, {
      batchKeys, batchBytes, ...settings, signal: opts.signal, onKeysMoved: opts.onKeysMoved, pace: opts.pace, keysPerCall: opts.keysPerRound,
    });
    keysMoved = fast.keysMoved;
    pending = [...fast.unfinished];
    if (pending.length === 0) return { keysMoved };
  }

  const budgets = new Map<number, { keys: number; bytes: number }>();
  const listOpts = { count: batchKeys, measure: Number.isFinite(batchBytes), asking: settings.sourceImporting };
  let idleRounds = 0;

  let listed = await listSlotKeys(source, pending, listOpts);
  for (;;) {
    // A slot listed empty is done; one not listed yet (too many keys for one listing) stays.
    pending = pending.filter((s) => (listed.get(s)?.keys.length ?? 1) > 0);
    if (pending.length === 0) break;
    opts.signal?.throwIfAborted();
    const batches = pending.flatMap((slot) => {
      const found = listed.get(slot);
      const budget = budgets.get(slot) ?? { keys: batchKeys, bytes: batchBytes };
      return found ? planMigrateBatches(slot, found.keys, found.sizes, budget.keys, budget.bytes) : [];
    });
    if (batches.length === 0) {
      listed = await listSlotKeys(source, pending, listOpts);
      continue;
    }

    let progressed = false;
    // Paced, a round moves at most a pacing round's worth of keys.
    const rounds = chunkByBudget(batches, (b) => b.bytes, batchBytes)
      .flatMap((round) => (opts.keysPerRound === undefined ? [round] : chunkByBudget(round, (b) => b.keys.length, opts.keysPerRound)));
    for (const [r, round] of rounds.entries()) {
      const settle = await opts.pace?.reserve(round.reduce((n, b) => n + b.keys.length, 0), opts.signal);
      const pipeline = source.pipeline();
      for (const batch of round) pipeline.call('MIGRATE', ...migrateArgs(target, batch.keys, settings));
      // The last round also lists what is left, saving a round trip per pass.
      const next = r === rounds.length - 1 ? queueListSlotKeys(source, pipeline, pending, listOpts) : undefined;
      const replies = await settlePipeline(pipeline);
      let moved = 0;
      for (const [i, batch] of round.entries()) {
        const outcome = classifyMigrateReply(replies[i] ?? [new Error('missing reply'), null]);
        if (outcome.kind === 'moved') {
          if (outcome.anyExisted) moved += batch.keys.length;
          continue;
        }
        if (outcome.kind === 'busy') {
          const result = await migrateBusyKeys(source, target, batch.slot, batch.keys, settings);
          moved += result.moved;
          if (result.error) throw migrateError(source, target, batch, result.error.message, settings.timeoutMs);
          continue;
        }
        if (outcome.kind === 'io' && batch.keys.length > 1) {
          // Probably too much data for the timeout: retry this slot with half the budget.
          budgets.set(batch.slot, { keys: Math.ceil(batch.keys.length / 2), bytes: Math.max(1, Math.floor(batch.bytes / 2)) });
          progressed = true;
          continue;
        }
        throw migrateError(source, target, batch, outcome.message, settings.timeoutMs);
      }
      settle?.(moved);
      if (moved > 0) {
        keysMoved += moved;
        progressed = true;
        opts.onKeysMoved?.(moved, round[0]?.slot ?? -1);
      }
      if (next) listed = await next.read(replies.slice(round.length));
    }
    idleRounds = progressed ? 0 : idleRounds + 1;
    if (idleRounds >= MAX_IDLE_ROUNDS) {
      throw new DomainError(
        'internal',
        'migrate_stuck',
        `${addressOf(source)}: slot(s) ${pending.slice(0, 10).join(', ')} still hold keys after ${MAX_IDLE_ROUNDS} MIGRATE rounds that moved nothing`,
      );
    }
  }
  return { keysMoved };
}

function migrateError(source: Redis, target: MigrateTarget, batch: KeyBatch, message: string, timeoutMs: number): DomainError {
  const route = `from ${addressOf(source)} to ${target.ip}:${target.port}`;
  const [key] = batch.keys;
  if (/^IOERR\b/.test(message) && batch.keys.length === 1 && key) {
    return new DomainError(
      'precondition',
      'key_too_big',
      `key ${describeKey(key)} in slot ${batch.slot} (${batch.bytes} bytes) could not be migrated ${route} ` +
        `within the MIGRATE timeout of ${timeoutMs} ms (${message}); it needs a longer timeout, or the target is not reachable`,
    );
  }
  return new DomainError('unavailable', 'migrate_failed', `MIGRATE of ${batch.keys.length} key(s) of slot ${batch.slot} ${route} failed: ${message}`);
}
