import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database, SqlSession } from './database.ts';

/** `prisma/migrations`, found from this file rather than the working directory. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));

// Prisma Migrate's own advisory lock key: holding it also keeps a concurrent `prisma migrate deploy` out.
const PRISMA_MIGRATE_LOCK_KEY = 72707369;

// The table exactly as Prisma's schema engine creates it, so `prisma migrate deploy` accepts our rows.
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

/** One migration folder: its name and the SQL of its `migration.sql`. */
export interface MigrationFile {
  readonly name: string;
  readonly sql: string;
  /** sha256 hex of the file, Prisma's checksum format. */
  readonly checksum: string;
}

/** Reads every `<dir>/<name>/migration.sql`, ordered by folder name. */
export function readMigrations(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort()
    .map((name) => {
      const bytes = readFileSync(join(dir, name, 'migration.sql'));
      return { name, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') };
    });
}

/**
 * Applies the migrations not applied yet, in name order, each in its own transaction, and records
 * each in Prisma's `_prisma_migrations` table. Several processes may call it at once on one
 * PostgreSQL: an advisory lock taken in each transaction makes them apply one after another.
 *
 * @example
 *   const { applied } = await migrate(db); // ['20250101000000_init'] the first time, [] after
 */
export async function migrate(db: Database, dir: string = MIGRATIONS_DIR): Promise<{ applied: string[] }> {
  const migrations = readMigrations(dir);
  const applied: string[] = [];
  for (;;) {
    const next = await db.transaction((tx) => applyNextPending(tx, migrations));
    if (next === null) return { applied };
    applied.push(next);
  }
}

/** Applies the first migration not recorded yet, returning its name, or null when none is left. */
async function applyNextPending(tx: SqlSession, migrations: readonly MigrationFile[]): Promise<string | null> {
  // Transaction-scoped, so a crashed process can never leave it held.
  await tx.query('SELECT pg_advisory_xact_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
  await tx.exec(CREATE_MIGRATIONS_TABLE);
  const rows = await tx.query<{ migration_name: string; finished_at: Date | null }>(
    'SELECT migration_name, finished_at FROM _prisma_migrations WHERE rolled_back_at IS NULL',
  );
  const failed = rows.find((r) => r.finished_at === null);
  if (failed) {
    // Same rule as Prisma (P3009): a half-applied migration needs a human before anything else runs.
    throw new Error(`migration ${failed.migration_name} started but never finished; resolve it before migrating`);
  }
  const done = new Set(rows.map((r) => r.migration_name));
  const next = migrations.find((m) => !done.has(m.name));
  if (!next) return null;
  await tx.exec(next.sql);
  await tx.query(
    `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
     VALUES ($1, $2, $3, now(), now(), 1)`,
    [randomUUID(), next.checksum, next.name],
  );
  return next.name;
}
