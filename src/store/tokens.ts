import type { ApiToken } from '../generated/prisma/client.ts';
import type { Database } from './database.ts';
import type { TokenRecord } from './records.ts';

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

function toTokenRecord(row: ApiToken): TokenRecord {
  return { id: row.id, name: row.name, role: row.role as TokenRecord['role'], createdAt: row.createdAt };
}
