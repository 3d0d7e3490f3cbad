import { parse, protocol, type PGlite } from '@electric-sql/pglite';

/**
 * Statements kept prepared at most: slotsmith's statement texts are a fixed set written in its source, so
 * this bound only matters if a text were ever built from data; past it, statements run unprepared.
 */
const MAX_PREPARED = 256;
/** Name prefix of the prepared statements, apart from any other user of the instance. */
const NAME_PREFIX = 'slotsmith_';

type BackendMessage = Awaited<ReturnType<PGlite['execProtocolStream']>>[number];

interface Prepared {
  readonly name: string;
  /** Parameter type OIDs, as the server inferred them at Parse: they pick each value's serializer. */
  readonly paramTypes: readonly number[];
  /** The statement's RowDescription (null for a statement without rows), which Execute does not repeat. */
  readonly rowDescription: BackendMessage | null;
}

/**
 * The parts of a PGlite instance this module uses beyond its typed API: the two locks its own
 * `query` takes (the transaction lock, so that a statement never runs inside another caller's open
 * transaction on the single connection, and the query lock), and its type (de)serializers.
 * @electric-sql/pglite 0.5 (`dist/chunk-*.js`, `query` → `#runQuery`); the store tests exercise them.
 */
type PGliteInternals = PGlite & {
  _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T>;
  _runExclusiveQuery<T>(fn: () => Promise<T>): Promise<T>;
  readonly serializers: Record<number, (value: unknown) => string>;
  readonly parsers: Record<number, (text: string, typeId: number) => unknown>;
};

/** A statement the server no longer has as prepared (`DEALLOCATE`), or whose plan a schema change made stale. */
function isStalePrepared(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === '26000' || (e.code === '0A000' && /cached plan/.test(e.message ?? ''));
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * `query(sql, params)` on a PGlite instance (outside any transaction) with each distinct statement
 * text parsed and planned once, as a named prepared statement, instead of at every call as
 * `PGlite.query` does (its unnamed statement). Resolves with the rows, parsed as `PGlite.query`
 * parses them; rejects with the server's error as it does. Bind, Execute and Sync go to the
 * server as one message, which also ends an errored statement cleanly.
 *
 * Why: on the embedded database, the server's parse and plan in WebAssembly were about half of
 * each statement's cost (end of an operation 2.8 ms → 1.6 ms, its insert 2.9 → 1.2, a progress
 * write 1.8 → 0.8, measured on an idle machine), and a short operation's path is a chain of such
 * statements. PostgreSQL plans natively in a fraction of that, so its pool keeps unnamed
 * statements (which also work behind transaction-pooling proxies).
 *
 * Protocol: PostgreSQL's extended query protocol (Parse with a statement name, Describe
 * statement, Bind, Execute, Sync; postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY).
 */
export function preparedQuery(pglite: PGlite): <T>(sql: string, params?: readonly unknown[]) => Promise<T[]> {
  const db = pglite as PGliteInternals;
  const statements = new Map<string, Prepared>();
  let named = 0;
  const { serialize } = protocol;

  const prepare = async (sql: string): Promise<Prepared> => {
    const name = `${NAME_PREFIX}${named++}`;
    const described = await db.execProtocolStream(concat([serialize.parse({ name, text: sql }), serialize.describe({ type: 'S', name }), serialize.sync()]), { syncToFs: false });
    const prepared = {
      name,
      paramTypes: parse.parseDescribeStatementResults(described),
      rowDescription: described.find((m) => m.name === 'rowDescription') ?? null,
    };
    statements.set(sql, prepared);
    return prepared;
  };

  const run = async <T>(sql: string, params: readonly unknown[]): Promise<T[]> => {
    const prepared = statements.get(sql) ?? (await prepare(sql));
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null;
      const serializer = db.serializers[prepared.paramTypes[i]!];
      return serializer ? serializer(value) : String(value);
    });
    const messages = await db.execProtocolStream(concat([serialize.bind({ statement: prepared.name, values }), serialize.execute({}), serialize.sync()]), { syncToFs: false });
    await db.syncToFs();
    const results = parse.parseResults(prepared.rowDescription ? [prepared.rowDescription, ...messages] : messages, db.parsers);
    return (results[0]?.rows ?? []) as T[];
  };

  return async <T>(sql: string, params: readonly unknown[] = []): Promise<T[]> => {
    if (!statements.has(sql) && statements.size >= MAX_PREPARED) return (await pglite.query<T>(sql, [...params])).rows;
    return db._runExclusiveTransaction(() => db._runExclusiveQuery(async () => {
      try {
        return await run<T>(sql, params);
      } catch (err) {
        if (!isStalePrepared(err)) throw err;
        // Prepared again under a new name: the old one may still exist with its stale plan.
        statements.delete(sql);
        return run<T>(sql, params);
      }
    }));
  };
}
