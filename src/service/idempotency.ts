import { createHash } from 'node:crypto';
import { DomainError } from '../domain/errors.ts';
import { claimIdempotencyKey, releaseIdempotencyKey, saveIdempotentResult } from '../store/idempotencyKeys.ts';
import type { Caller, ServiceDeps } from './deps.ts';

/** How long a key is remembered: a retry within this time gets the first outcome back. */
export const IDEMPOTENCY_KEEP_MS = 24 * 60 * 60 * 1000;
/** A request that holds its key this long without an outcome died; the key may be used again. */
const ABANDONED_MS = 60_000;
/** Visible ASCII, 1-255 characters (a UUID is the usual choice). */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** A mutating request as the transport saw it: the caller's key, if any, and what identifies the request. */
export interface IdempotentRequest {
  /** The `Idempotency-Key` header (REST) or `idempotency-key` metadata (gRPC); undefined when absent. */
  readonly key: string | undefined;
  /** The method and target plus the body: a key used again must come with an equal fingerprint. */
  readonly fingerprint: unknown;
}

/**
 * Runs `change` at most once per key (design.md, automation needs). The first request with a key
 * runs and, when it succeeds, its result is stored: a retry with the same key and the same request
 * gets that result back (the same operation, the same dry-run plan) without running anything, for
 * 24 hours. While the first one is still being answered a retry gets `409 idempotency_key_in_flight`;
 * with a different request, `422 idempotency_key_reused`. A request that fails changed nothing
 * (every change is stored in one transaction, last), so its key is released and a retry runs
 * again, as with Stripe's keys. Without a key, `change` simply runs.
 */
export async function idempotently<T>(deps: ServiceDeps, caller: Caller, request: IdempotentRequest, change: () => Promise<T>): Promise<T> {
  // Every change of both transports passes here: the next read in this process must see it (an
  // operation the change stored and remembered is what the next read would find).
  const since = deps.reads.mark();
  try {
    return await claimAndRun(deps, caller, request, change);
  } finally {
    deps.reads.clearAfterChange(since);
  }
}

async function claimAndRun<T>(deps: ServiceDeps, caller: Caller, request: IdempotentRequest, change: () => Promise<T>): Promise<T> {
  const { key } = request;
  if (key === undefined) return change();
  if (!KEY_PATTERN.test(key)) {
    throw new DomainError('invalid', 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 visible ASCII characters', [
      { pointer: '/Idempotency-Key', reason: 'must be 1-255 visible ASCII characters' },
    ]);
  }
  const claim = await claimIdempotencyKey(deps.db, {
    tokenId: caller.tokenId, key, requestHash: fingerprintHash(request.fingerprint), now: deps.now(), keepMs: IDEMPOTENCY_KEEP_MS, abandonedMs: ABANDONED_MS,
  });
  if (claim.kind === 'mismatch') {
    throw new DomainError('unprocessable', 'idempotency_key_reused', `Idempotency-Key "${key}" was already used with a different request`);
  }
  if (claim.kind === 'in_flight') {
    throw new DomainError('aborted', 'idempotency_key_in_flight', `a request with Idempotency-Key "${key}" is still being answered; retry shortly`);
  }
  if (claim.kind === 'replay') return claim.result as T;
  let value: T;
  try {
    value = await change();
  } catch (err) {
    await releaseIdempotencyKey(deps.db, caller.tokenId, key).catch(() => undefined);
    throw err;
  }
  // Stored as JSON: results are plain JSON views (ISO times), so a replay is the same answer.
  await saveIdempotentResult(deps.db, caller.tokenId, key, JSON.parse(JSON.stringify(value ?? null)) as unknown);
  return value;
}

/** sha256 of the fingerprint as JSON with object keys sorted, so key order does not matter. */
function fingerprintHash(fingerprint: unknown): string {
  return createHash('sha256').update(JSON.stringify(sortKeys(fingerprint))).digest('hex');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

/**
 * For a change whose answer carries a secret (a new token): a key is refused rather than ignored,
 * since replaying would mean storing the secret, and a caller must not believe a retry is safe.
 */
export function refuseIdempotencyKey(key: string | undefined): void {
  if (key === undefined) return;
  throw new DomainError('invalid', 'idempotency_key_not_accepted', 'Idempotency-Key is not accepted here: the answer carries a secret, which is never stored', [
    { pointer: '/Idempotency-Key', reason: 'not accepted on this call' },
  ]);
}
