import type { Redis } from 'ioredis';
import type { NodeAuth } from './nodeAuth.ts';
import type { PipelineReply } from './settlePipeline.ts';

/** Where MIGRATE sends keys: the target's IP and port as the source node reaches it, and a client to it. */
export interface MigrateTarget {
  /** An IP (or a name the source node can resolve); see `resolveHost`. */
  readonly ip: string;
  readonly port: number;
  /** A client connected to the target, used to compare values when MIGRATE answers BUSYKEY. */
  readonly client: Redis;
}

/**
 * The arguments of `MIGRATE ip port "" 0 timeout [REPLACE] [AUTH pw | AUTH2 user pw] KEYS k...`
 * (without the command name). The keys must all hash to one slot.
 */
export function migrateArgs(
  target: Pick<MigrateTarget, 'ip' | 'port'>,
  keys: readonly Buffer[],
  opts: { readonly timeoutMs: number; readonly replace: boolean; readonly auth?: NodeAuth | undefined },
): (string | number | Buffer)[] {
  const args: (string | number | Buffer)[] = [target.ip, target.port, '', 0, opts.timeoutMs];
  if (opts.replace) args.push('REPLACE');
  const { username, password } = opts.auth ?? {};
  if (password !== undefined) {
    if (username !== undefined && username !== 'default') args.push('AUTH2', username, password);
    else args.push('AUTH', password);
  }
  args.push('KEYS', ...keys);
  return args;
}

/** What one MIGRATE reply means for the keys it carried. */
export type MigrateOutcome =
  /** Every key that still existed moved (`OK`), or none existed any more (`NOKEY`). */
  | { readonly kind: 'moved'; readonly anyExisted: boolean }
  /** The target already had at least one key; the others of the batch moved. */
  | { readonly kind: 'busy' }
  /** The source could not talk to the target within the timeout (`IOERR`). */
  | { readonly kind: 'io'; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string };

/** Classifies one pipelined MIGRATE reply. */
export function classifyMigrateReply([error, value]: PipelineReply): MigrateOutcome {
  if (error === null) return { kind: 'moved', anyExisted: String(value) !== 'NOKEY' };
  const message = error.message;
  if (/\bBUSYKEY\b/.test(message)) return { kind: 'busy' };
  if (/^IOERR\b/.test(message)) return { kind: 'io', message };
  return { kind: 'failed', message };
}

/** A key name for messages: its text when it is valid UTF-8, its bytes in hex otherwise. */
export function describeKey(key: Buffer): string {
  const text = key.toString('utf8');
  return Buffer.from(text, 'utf8').equals(key) ? JSON.stringify(text) : `0x${key.toString('hex')}`;
}
