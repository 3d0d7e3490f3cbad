import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { MIGRATIONS_DIR, migrate, readMigrations } from '../../src/store/migrate.ts';
import { BACKENDS } from './backends.ts';

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

const migrationNames = readMigrations().map((m) => m.name);

async function recorded(db: Database): Promise<MigrationRow[]> {
  return db.query<MigrationRow>('SELECT * FROM _prisma_migrations ORDER BY migration_name');
}

test('the migrations folder is found from the source file and is in Prisma layout', () => {
  assert.ok(migrationNames.length >= 1);
  for (const name of migrationNames) assert.match(name, /^\d{14}_[a-z0-9_]+$/);
  assert.match(readFileSync(join(MIGRATIONS_DIR, 'migration_lock.toml'), 'utf8'), /^provider = "postgresql"$/m);
});

for (const backend of BACKENDS) {
  describe(`migrate [${backend.name}]`, () => {
    test('applies every migration once and records it as Prisma does', async (t) => {
      const handle = await backend.create();
      t.after(() => handle.dispose());

      assert.deepEqual(await migrate(handle.db), { applied: migrationNames });
      assert.deepEqual(await migrate(handle.db), { applied: [] });

      const rows = await recorded(handle.db);
      assert.deepEqual(rows.map((r) => r.migration_name), migrationNames);
      for (const row of rows) {
        const file = readFileSync(join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
        assert.equal(row.checksum, createHash('sha256').update(file).digest('hex'));
        assert.match(row.id, /^[0-9a-f-]{36}$/);
        assert.ok(row.finished_at instanceof Date, 'finished_at is set');
        assert.equal(row.rolled_back_at, null);
        assert.equal(row.applied_steps_count, 1);
      }
    });

    test('refuses to go on past a migration that started and never finished', async (t) => {
      const handle = await backend.create();
      t.after(() => handle.dispose());
      await migrate(handle.db);
      await handle.db.query('UPDATE _prisma_migrations SET finished_at = NULL');
      await assert.rejects(migrate(handle.db), /never finished/);
    });
  });
}

const postgres = BACKENDS.find((b) => b.name === 'postgres');
describe('migrate [postgres, several processes]', () => {
  test('processes starting at once apply each migration exactly once', async (t) => {
    assert.ok(postgres);
    const handle = await postgres.create();
    const processes: Database[] = [];
    t.after(async () => {
      await Promise.all(processes.map((db) => db.close()));
      await handle.dispose();
    });
    const url = handle.url;
    assert.ok(url);
    for (let i = 0; i < 4; i++) processes.push(await openDatabase({ databaseUrl: url }));

    const results = await Promise.all(processes.map((db) => migrate(db)));
    assert.deepEqual(results.flatMap((r) => r.applied).sort(), migrationNames);
    assert.equal((await recorded(handle.db)).length, migrationNames.length);
  });
});

describe('migrate [pglite in a data directory]', () => {
  test('the database is created (in a child process), persists across close and reopen', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'slotsmith-pglite-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));

    const first = await openDatabase({ dataDir });
    try {
      assert.deepEqual(await migrate(first), { applied: migrationNames });
      await first.prisma.apiToken.create({ data: { name: 'kept', hash: 'h1', role: 'admin' } });
    } finally {
      await first.close();
    }

    const second = await openDatabase({ dataDir });
    try {
      assert.equal(second.kind, 'pglite');
      assert.deepEqual(await migrate(second), { applied: [] });
      const tokens = await second.prisma.apiToken.findMany();
      assert.deepEqual(tokens.map((x) => x.name), ['kept']);
      assert.deepEqual(await second.query("SELECT current_setting('shared_buffers') AS v"), [{ v: '16MB' }], 'small shared buffers');
    } finally {
      await second.close();
    }
  });
});
