import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.ts';
import { initPgliteDataDir } from './initPgliteDataDir.ts';
import { preparedQuery } from './pglitePrepared.ts';

/** Raw SQL on one connection: the whole database, or one transaction of it. */
export interface SqlSession {
  /** Runs one statement with `$1..$n` parameters and returns its rows. */
  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters. */
  exec(script: string): Promise<void>;
}

/**
 * The store's handle on its database: Prisma Client for ordinary reads and writes, raw SQL (on the
 * same PGlite instance or pg pool) where SQL is the right tool.
 */
export interface Database extends SqlSession {
  readonly kind: 'pglite' | 'postgres';
  readonly prisma: PrismaClient;
  /**
   * Runs `fn` inside BEGIN/COMMIT on one connection; rolls back if it throws. Inside `fn` use only
   * `tx`: on PGlite the transaction holds the single connection, so `db.query` would wait forever.
   */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` with the payload of every `NOTIFY` on `channel`, from any process on this
   * database (PostgreSQL: one extra connection that LISTENs; PGlite: the instance itself).
   * Resolves with a function that stops listening. A hint only: a listener that was away misses
   * notifications, so readers poll as well.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /** Disconnects Prisma and closes the pool or the PGlite instance. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL connection string; when set, PostgreSQL is used. */
  readonly databaseUrl?: string | undefined;
  /** Directory of the embedded PGlite database; in memory when undefined. */
  readonly dataDir?: string | undefined;
  /**
   * For an in-memory PGlite: start from this dumped data directory (`PGlite.dumpDataDir`) instead
   * of running initdb, which takes seconds; the tests start hundreds of databases this way.
   */
  readonly initialDataDir?: Blob | undefined;
}

/**
 * Opens PostgreSQL when `databaseUrl` is given, otherwise embedded PGlite (persisted in `dataDir`,
 * or in memory). Does not migrate: call `migrate(db)` next.
 *
 * @example
 *   const db = await openDatabase({ dataDir: '.data/db' });
 */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : openPGlite(opts.dataDir, opts.initialDataDir);
}

async function openPostgres(connectionString: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString, max: 10 });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const session = (client: pg.Pool | pg.PoolClient): SqlSession => ({
    async query<T>(sql: string, params: readonly unknown[] = []) {
      const result = await client.query(sql, [...params]);
      return result.rows as T[];
    },
    async exec(script: string) {
      await client.query(script);
    },
  });
  return {
    kind: 'postgres',
    prisma,
    ...session(pool),
    async transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(session(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async listen(channel, onNotify) {
      const client = new pg.Client({ connectionString });
      client.on('error', () => {});
      client.on('notification', (n) => {
        if (n.channel === channel) onNotify(n.payload ?? '');
      });
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      return async () => {
        await client.end().catch(() => undefined);
      };
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/**
 * PGlite's own start parameters plus smaller shared buffers: slotsmith's tables are small, and
 * PostgreSQL's 128 MB default stays resident in PGlite's memory (16 MB saves ~120 MB of RSS).
 */
const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

async function openPGlite(dataDir: string | undefined, initialDataDir?: Blob): Promise<Database> {
  if (dataDir !== undefined) {
    mkdirSync(dataDir, { recursive: true });
    await initPgliteDataDir(dataDir);
  }
  const pglite = dataDir === undefined
    ? new PGlite({ startParams: PGLITE_START_PARAMS, ...(initialDataDir ? { loadDataDir: initialDataDir } : {}) })
    : new PGlite(dataDir, { startParams: PGLITE_START_PARAMS });
  await pglite.waitReady;
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  // PGlite is one connection; its own mutex serialises Prisma, raw SQL and transactions.
  const session = (client: Pick<PGlite, 'query' | 'exec'>): SqlSession => ({
    async query<T>(sql: string, params: readonly unknown[] = []) {
      const result = await client.query<T>(sql, [...params]);
      return result.rows;
    },
    async exec(script: string) {
      await client.exec(script);
    },
  });
  return {
    kind: 'pglite',
    prisma,
    ...session(pglite),
    // Outside a transaction, each statement is parsed and planned once (see preparedQuery); inside
    // one, `tx` holds the connection and its statements run unprepared.
    query: preparedQuery(pglite),
    transaction: (fn) => pglite.transaction((tx) => fn(session(tx))),
    async listen(channel, onNotify) {
      const unlisten = await pglite.listen(channel, onNotify);
      return async () => {
        await unlisten().catch(() => undefined);
      };
    },
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
