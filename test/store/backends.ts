import { randomBytes } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe } from 'node:test';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { openTestPGlite } from '../helpers/pgliteTemplate.ts';
import { migrate } from '../../src/store/migrate.ts';

/** Admin connection used to create and drop each test's own PostgreSQL database. */
export const ADMIN_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database made for one test (or one suite) and removed by `dispose`. */
export interface TestDatabase {
  readonly db: Database;
  /** Connection string of a PostgreSQL database (undefined for PGlite), to open more pools on it. */
  readonly url: string | undefined;
  dispose(): Promise<void>;
}

export interface TestBackend {
  readonly name: 'pglite' | 'postgres';
  /** A new, empty, unmigrated database: PGlite in memory, or a fresh PostgreSQL database. */
  create(): Promise<TestDatabase>;
}

const pglite: TestBackend = {
  name: 'pglite',
  async create() {
    const db = await openTestPGlite();
    return { db, url: undefined, dispose: () => db.close() };
  },
};

const postgres: TestBackend = {
  name: 'postgres',
  async create() {
    const name = `slotsmith_test_${randomBytes(6).toString('hex')}`;
    await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    const db = await openDatabase({ databaseUrl: url.toString() });
    return {
      db,
      url: url.toString(),
      async dispose() {
        await db.close();
        await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      },
    };
  },
};

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`PostgreSQL for the store tests is not reachable at ${ADMIN_URL} (set TEST_DATABASE_URL)`, {
      cause: err,
    });
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Both backends every storage test runs on. */
export const BACKENDS: readonly TestBackend[] = [pglite, postgres];

const TABLES = 'api_tokens, operation_events, operations, nodes, clusters';

/** What a suite made by `describeEachBackend` hands to its tests. */
export interface BackendContext {
  readonly backend: TestBackend['name'];
  /** The suite's migrated database, emptied before each test. */
  readonly db: Database;
  /** PostgreSQL only: another pool on the same database, as a second process would have. Closed after the test. */
  openAnother(): Promise<Database>;
}

/**
 * Declares `body` once per backend, on one migrated database per suite whose tables are truncated
 * before each test (opening PGlite costs seconds, truncating costs milliseconds).
 */
export function describeEachBackend(title: string, body: (ctx: BackendContext) => void): void {
  for (const backend of BACKENDS) {
    describe(`${title} [${backend.name}]`, () => {
      let handle: TestDatabase | undefined;
      const others: Database[] = [];
      before(async () => {
        handle = await backend.create();
        await migrate(handle.db);
      });
      after(async () => {
        await handle?.dispose();
      });
      beforeEach(async () => {
        await ctx.db.exec(`TRUNCATE ${TABLES} CASCADE`);
      });
      afterEach(async () => {
        await Promise.all(others.splice(0).map((d) => d.close()));
      });
      const ctx: BackendContext = {
        backend: backend.name,
        get db() {
          if (!handle) throw new Error('the suite database is not open yet');
          return handle.db;
        },
        async openAnother() {
          if (!handle?.url) throw new Error('openAnother is for PostgreSQL only');
          const other = await openDatabase({ databaseUrl: handle.url });
          others.push(other);
          return other;
        },
      };
      body(ctx);
    });
  }
}
