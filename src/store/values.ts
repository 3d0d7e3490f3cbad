import { Prisma } from '../generated/prisma/client.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a textual UUID; ids from callers are checked before they reach a `uuid` column. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** A domain object as a Prisma JSON input; the domain types are plain JSON by construction. */
export function toJson(value: unknown): Prisma.InputJsonValue {
  return value as Prisma.InputJsonValue;
}

/** Like `toJson`, with `null` stored as SQL NULL rather than the JSON value `null`. */
export function toNullableJson(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  return value === null || value === undefined ? Prisma.DbNull : (value as Prisma.InputJsonValue);
}

/** True when a write failed on a unique constraint, through Prisma (P2002) or raw SQL (23505). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'P2002' || code === '23505';
}
