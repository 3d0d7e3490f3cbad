import { DomainError } from '../domain/errors.ts';

/**
 * Encodes a keyset cursor (the sort key of the last item of a page) as an opaque base64url token.
 *
 * @example
 *   encodePageToken({ name: 'c7' }) // 'eyJuYW1lIjoiYzcifQ'
 */
export function encodePageToken(cursor: Readonly<Record<string, string>>): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/**
 * Decodes a token made by `encodePageToken`, checking it carries exactly `keys` as strings.
 * Anything else (garbage, a token of another list) is the caller's mistake: `invalid_page_token`.
 */
export function decodePageToken<K extends string>(token: string, keys: readonly K[]): Record<K, string> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const ok =
    typeof value === 'object' && value !== null && !Array.isArray(value) &&
    Object.keys(value).length === keys.length &&
    keys.every((k) => typeof (value as Record<string, unknown>)[k] === 'string');
  if (!ok) throw invalidPageToken();
  return value as Record<K, string>;
}

/** The error for a page token this list did not issue. */
export function invalidPageToken(): DomainError {
  return new DomainError('invalid', 'invalid_page_token', 'pageToken is not a token this list issued');
}

/** Turns `pageSize + 1` fetched rows into a page, with a token when the extra row shows there is more. */
export function toPage<R, T>(
  rows: readonly R[],
  pageSize: number,
  map: (row: R) => T,
  cursorOf: (row: R) => Record<string, string>,
): { items: T[]; nextPageToken: string | null } {
  const pageRows = rows.slice(0, pageSize);
  const last = pageRows[pageRows.length - 1];
  const more = rows.length > pageSize && last !== undefined;
  return { items: pageRows.map(map), nextPageToken: more ? encodePageToken(cursorOf(last)) : null };
}

/** A page size the queries can use: an integer of at least 1. The service validates the caller's value. */
export function normalisePageSize(pageSize: number): number {
  return Math.max(1, Math.floor(pageSize) || 1);
}
