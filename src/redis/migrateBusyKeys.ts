import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import { describeKey, migrateArgs, type MigrateTarget } from './migrateCommand.ts';
import type { NodeAuth } from './nodeAuth.ts';
import { addressOf } from './clientAddress.ts';
import { settlePipeline } from './settlePipeline.ts';

/** How many conflicting keys a `busy_keys` error names. */
const NAMED_CONFLICTS = 10;

/** Options of {@link migrateBusyKeys}; see `MigrateKeysOptions`. */
export interface BusyKeyOptions {
  readonly timeoutMs: number;
  readonly replace: boolean;
  readonly auth?: NodeAuth | undefined;
  readonly sourceImporting: boolean;
}

/**
 * Resolves a MIGRATE batch that the target answered with BUSYKEY (it already has some of the
 * keys; MIGRATE moved the others and left the busy ones on the source). Compares the `DUMP`
 * payload of each key still on the source with the target's copy: equal copies (typically left
 * by an interrupted earlier MIGRATE) and keys the target no longer has are moved again with
 * `REPLACE`; different copies throw a DomainError (`precondition`, `busy_keys`) naming up to 10
 * keys, unless `replace` is set, which overwrites the target's copies.
 *
 * Nothing is ever deleted from the client side: the keys still move with MIGRATE only.
 *
 * @returns the keys the REPLACE MIGRATE should carry (empty when none is left on the source).
 */
async function keysToReplace(
  source: Redis,
  target: MigrateTarget,
  slot: number,
  keys: readonly Buffer[],
  opts: Pick<BusyKeyOptions, 'replace' | 'sourceImporting'>,
): Promise<Buffer[]> {
  const [onSource, onTarget] = await Promise.all([
    dumpKeys(source, keys, opts.sourceImporting),
    dumpKeys(target.client, keys, true),
  ]);
  const retry: Buffer[] = [];
  const conflicts: Buffer[] = [];
  keys.forEach((key, i) => {
    const mine = onSource[i];
    if (mine === null || mine === undefined) return; // moved by the batch, or deleted meanwhile
    const theirs = onTarget[i];
    if (theirs === null || theirs === undefined || mine.equals(theirs) || opts.replace) retry.push(key);
    else conflicts.push(key);
  });
  if (conflicts.length > 0) {
    const named = conflicts.slice(0, NAMED_CONFLICTS).map(describeKey).join(', ');
    const more = conflicts.length > NAMED_CONFLICTS ? ` and ${conflicts.length - NAMED_CONFLICTS} more` : '';
    throw new DomainError(
      'precondition',
      'busy_keys',
      `${conflicts.length} key(s) of slot ${slot} exist on both ${addressOf(source)} and ${target.ip}:${target.port} ` +
        `with different values: ${named}${more}; nothing was overwritten`,
    );
  }
  return retry;
}

/**
 * {@link keysToReplace}, then one `MIGRATE ... REPLACE KEYS` for them.
 *
 * @returns how many of `keys` are now on the target and gone from the source.
 */
export async function migrateBusyKeys(
  source: Redis,
  target: MigrateTarget,
  slot: number,
  keys: readonly Buffer[],
  opts: BusyKeyOptions,
): Promise<{ moved: number; error?: Error }> {
  const retry = await keysToReplace(source, target, slot, keys, opts);
  const alreadyMoved = keys.length - retry.length;
  if (retry.length === 0) return { moved: alreadyMoved };
  const [reply] = await settlePipeline(source.pipeline().call('MIGRATE', ...migrateArgs(target, retry, { ...opts, replace: true })));
  const error = reply?.[0] ?? null;
  if (error !== null) return { moved: alreadyMoved, error };
  return { moved: keys.length };
}

/** `DUMP` of each key (null when absent; an ASK redirect from a migrating source also means absent). */
async function dumpKeys(client: Redis, keys: readonly Buffer[], asking: boolean): Promise<(Buffer | null)[]> {
  const pipeline = client.pipeline();
  for (const key of keys) {
    if (asking) pipeline.call('ASKING');
    pipeline.callBuffer('DUMP', key);
  }
  const replies = await settlePipeline(pipeline);
  const step = asking ? 2 : 1;
  return keys.map((key, i) => {
    const [err, value] = replies[i * step + step - 1] ?? [new Error('missing reply'), null];
    if (err !== null) {
      if (/^ASK\b/.test(err.message)) return null;
      throw new DomainError('unavailable', 'dump_failed', `${addressOf(client)}: DUMP ${describeKey(key)} failed: ${err.message}`, [], {
        cause: err,
      });
    }
    return value === null ? null : (value as Buffer);
  });
}
