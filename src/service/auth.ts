import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../domain/errors.ts';
import type { Database } from '../store/database.ts';
import { countTokens, findTokenByHash, insertToken, touchToken } from '../store/tokens.ts';
import type { Caller } from './deps.ts';

/** Tokens are 32 random bytes, so a plain SHA-256 is enough to store them safely (no dictionary to attack). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random token, recognisable by its prefix in secret scanners. */
export function generateToken(): string {
  return `ssm_${randomBytes(32).toString('base64url')}`;
}

export interface Authenticator {
  /** Resolves the caller from an `Authorization` header value, or throws `unauthenticated`. */
  authenticate(authorization: string | undefined): Promise<Caller>;
}

/**
 * With `adminToken` set, that token is the admin and nothing is stored for it. Otherwise tokens
 * live hashed in the database; on the first start with none stored, one admin token is generated,
 * stored hashed and handed to `announce` once (it is never logged or shown again).
 */
export async function createAuthenticator(db: Database, adminToken: string | null, announce: (token: string) => void): Promise<Authenticator> {
  const adminHash = adminToken ? Buffer.from(hashToken(adminToken), 'hex') : null;
  if (!adminHash && (await countTokens(db)) === 0) {
    const token = generateToken();
    await insertToken(db, { name: 'admin', hash: hashToken(token), role: 'admin' });
    announce(token);
  }
  return {
    async authenticate(authorization) {
      const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(authorization?.trim() ?? '');
      if (!match?.[1]) {
        throw new DomainError('unauthenticated', 'unauthenticated', 'missing or malformed Authorization header; expected "Bearer <token>"');
      }
      const hash = hashToken(match[1]);
      if (adminHash && timingSafeEqual(adminHash, Buffer.from(hash, 'hex'))) {
        return { tokenId: 'env', name: 'admin', role: 'admin' };
      }
      const record = await findTokenByHash(db, hash);
      if (!record) throw new DomainError('unauthenticated', 'invalid_token', 'the bearer token is not valid');
      void touchToken(db, record.id).catch(() => undefined);
      return { tokenId: record.id, name: record.name, role: record.role };
    },
  };
}
