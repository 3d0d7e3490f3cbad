import type { Database } from './database.ts';
import { toJson, toNullableJson } from './values.ts';

/** What a request with a key finds: the key is now its own, or an earlier request's state. */
export type KeyClaim =
  | { readonly kind: 'claimed' }
  | { readonly kind: 'replay'; readonly result: unknown }
  | { readonly kind: 'in_flight' }
  | { readonly kind: 'mismatch' };

export interface KeyClaimRequest {
  readonly tokenId: string;
  readonly key: string;
  readonly requestHash: string;
  readonly now: Date;
  /** A key older than this is forgotten: the request counts as a new one. */
  readonly keepMs: number;
  /** A key without an outcome older than this belongs to a request that died: it may be taken over. */
  readonly abandonedMs: number;
}

/**
 * Claims `key` for a request, or says what an earlier request with it left: its result (to be
 * replayed, when the fingerprint matches), that it is still being answered, or that the key was
 * used for a different request. A key past `keepMs`, or one left without an outcome past
 * `abandonedMs`, is taken over. Two concurrent claims of one key: exactly one is `claimed`.
 */
export async function claimIdempotencyKey(db: Database, req: KeyClaimRequest): Promise<KeyClaim> {
  const id = { tokenId: req.tokenId, key: req.key };
  for (let attempt = 0; attempt < 3; attempt++) {
    const { count } = await db.prisma.idempotencyKey.createMany({ data: [{ ...id, requestHash: req.requestHash, createdAt: req.now }], skipDuplicates: true });
    if (count === 1) return { kind: 'claimed' };
    const row = await db.prisma.idempotencyKey.findUnique({ where: { tokenId_key: id } });
    if (!row) continue; // deleted meanwhile: claim again
    const age = req.now.getTime() - row.createdAt.getTime();
    if (age > req.keepMs || (row.outcome === null && age > req.abandonedMs)) {
      // Take over exactly the row we saw; a concurrent taker changes createdAt and wins instead.
      const taken = await db.prisma.idempotencyKey.updateMany({
        where: { ...id, createdAt: row.createdAt },
        data: { requestHash: req.requestHash, outcome: toNullableJson(null), createdAt: req.now },
      });
      if (taken.count === 1) return { kind: 'claimed' };
      continue;
    }
    if (row.requestHash !== req.requestHash) return { kind: 'mismatch' };
    if (row.outcome === null) return { kind: 'in_flight' };
    return { kind: 'replay', result: (row.outcome as { result?: unknown }).result ?? null };
  }
  return { kind: 'in_flight' };
}

/** Stores the result of the request that claimed `key` (as `{"result": ...}`, so a null result is not "no outcome"). */
export async function saveIdempotentResult(db: Database, tokenId: string, key: string, result: unknown): Promise<void> {
  await db.prisma.idempotencyKey.updateMany({ where: { tokenId, key }, data: { outcome: toJson({ result }) } });
}

/** Forgets `key` (its request failed in a way worth retrying), so the next request with it runs. */
export async function releaseIdempotencyKey(db: Database, tokenId: string, key: string): Promise<void> {
  await db.prisma.idempotencyKey.deleteMany({ where: { tokenId, key } });
}

/** Deletes keys older than `before`; returns how many. */
export async function deleteIdempotencyKeysBefore(db: Database, before: Date): Promise<number> {
  const { count } = await db.prisma.idempotencyKey.deleteMany({ where: { createdAt: { lt: before } } });
  return count;
}
