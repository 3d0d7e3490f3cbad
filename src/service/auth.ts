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
  /** Drops every cached token, so a revocation in this process takes effect at the next request. */
  forget(): void;
}

/**
 * How long a token read from the database is trusted without reading it again: a token revoked
 * by another process stops working within this time (one revoked here stops at once, see
 * `forget`).
 */
export const TOKEN_CACHE_MS = 1_000;
/** A token's last use is written at most this often. */
export const TOUCH_INTERVAL_MS = 60_000;
/** Cached tokens at most; beyond, the cache starts over (a bound against many distinct tokens). */
const CACHE_LIMIT = 10_000;

/**
 * With `adminToken` set, that token is the admin and nothing is stored for it. Otherwise tokens
 * live hashed in the database; on the first start with none stored, one admin token is generated,
 * stored hashed and handed to `announce` once (it is never logged or shown again). A request
 * neither reads nor writes the database for a token read within the last second, and its last
 * use is written at most once a minute.
 */
export async function createAuthenticator(db: Database, adminToken: string | null, announce: (token: string) => void, clock: () => number = Date.now): Promise<Authenticator> {
  const adminHash = adminToken ? Buffer.from(hashToken(adminToken), 'hex') : null;
  if (!adminHash && (await countTokens(db)) === 0) {
    const token = generateToken();
    await insertToken(db, { name: 'admin', hash: hashToken(token), role: 'admin' });
    announce(token);
  }
  const cache = new Map<string, { caller: Caller; until: number }>();
  const touchedAt = new Map<string, number>();
  return {
    forget() {
      cache.clear();
    },
    async authenticate(authorization) {
      const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(authorization?.trim() ?? '');
      if (!match?.[1]) {
        throw new DomainError('unauthenticated', 'unauthenticated', 'missing or malformed Authorization header; expected "Bearer <token>"');
      }
      const now = clock();
      // Keyed by the token itself: a hit costs no hashing (the secret is in this process's memory
      // for the request anyway; the database only ever holds its hash).
      const cached = cache.get(match[1]);
      if (cached && cached.until > now) return cached.caller;
      const hash = hashToken(match[1]);
      if (adminHash && timingSafeEqual(adminHash, Buffer.from(hash, 'hex'))) {
        const admin: Caller = { tokenId: 'env', name: 'admin', role: 'admin' };
        cache.set(match[1], { caller: admin, until: Number.POSITIVE_INFINITY });
        return admin;
      }
      const record = await findTokenByHash(db, hash);
      if (!record) {
        cache.delete(match[1]);
        throw new DomainError('unauthenticated', 'invalid_token', 'the bearer token is not valid');
      }
      const caller: Caller = { tokenId: record.id, name: record.name, role: record.role };
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(match[1], { caller, until: now + TOKEN_CACHE_MS });
      if (now - (touchedAt.get(record.id) ?? -Infinity) >= TOUCH_INTERVAL_MS) {
        if (touchedAt.size >= CACHE_LIMIT) touchedAt.clear();
        touchedAt.set(record.id, now);
        void touchToken(db, record.id).catch(() => undefined);
      }
      return caller;
    },
  };
}
