import { DomainError } from '../domain/errors.ts';
import type { ApiToken } from '../generated/prisma/client.ts';
import type { Database } from './database.ts';
import { decodePageToken, invalidPageToken, normalisePageSize, toPage } from './pageToken.ts';
import type { Page, TokenRecord } from './records.ts';

/** How many API tokens exist (zero means the service still has to bootstrap its first admin token). */
export async function countTokens(db: Database): Promise<number> {
  return db.prisma.apiToken.count();
}

/**
 * Stores a token by the sha256 hex of its secret; the secret itself is never stored.
 *
 * @example
 *   await insertToken(db, { name: 'ci', hash: sha256Hex(secret), role: 'operator' });
 */
export async function insertToken(
  db: Database,
  token: { name: string; hash: string; role: TokenRecord['role'] },
): Promise<TokenRecord> {
  const row = await db.prisma.apiToken.create({ data: { name: token.name, hash: token.hash, role: token.role } });
  return toTokenRecord(row);
}

/** The token whose secret hashes to `hash`, or null. */
export async function findTokenByHash(db: Database, hash: string): Promise<TokenRecord | null> {
  const row = await db.prisma.apiToken.findUnique({ where: { hash } });
  return row ? toTokenRecord(row) : null;
}

/** Records that a token was just used. */
export async function touchToken(db: Database, id: string): Promise<void> {
  await db.prisma.apiToken.updateMany({ where: { id }, data: { lastUsedAt: new Date() } });
}

/** Tokens in the order they were made, a page at a time (never their hashes). */
export async function listTokens(db: Database, opts: { pageSize: number; pageToken?: string | null | undefined }): Promise<Page<TokenRecord>> {
  const pageSize = normalisePageSize(opts.pageSize);
  const after = opts.pageToken ? decodePageToken(opts.pageToken, ['createdAt', 'id']) : undefined;
  const since = after ? new Date(after.createdAt) : undefined;
  if (since && Number.isNaN(since.getTime())) throw invalidPageToken();
  const rows = await db.prisma.apiToken.findMany({
    ...(after && since ? { where: { OR: [{ createdAt: { gt: since } }, { createdAt: since, id: { gt: after.id } }] } } : {}),
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: pageSize + 1,
  });
  return toPage(rows, pageSize, toTokenRecord, (r) => ({ createdAt: r.createdAt.toISOString(), id: r.id }));
}

/**
 * Deletes token `id`, unless it is the last admin token stored and `keepAnAdmin` is set (nobody
 * could administer the service any more): then nothing changes and this throws
 * `precondition/last_admin_token`. Returns false when no such token exists. Deletions are
 * serialised, so two admins revoking each other cannot both succeed.
 */
export async function deleteToken(db: Database, id: string, keepAnAdmin: boolean): Promise<boolean> {
  return db.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('slotsmith.api_tokens'))`;
    const row = await tx.apiToken.findUnique({ where: { id } });
    if (!row) return false;
    if (keepAnAdmin && row.role === 'admin' && (await tx.apiToken.count({ where: { role: 'admin' } })) === 1) {
      throw new DomainError('precondition', 'last_admin_token', `token "${row.name}" is the last admin token; create another admin token first`);
    }
    await tx.apiToken.delete({ where: { id } });
    return true;
  });
}

function toTokenRecord(row: ApiToken): TokenRecord {
  return { id: row.id, name: row.name, role: row.role as TokenRecord['role'], createdAt: row.createdAt, lastUsedAt: row.lastUsedAt };
}
