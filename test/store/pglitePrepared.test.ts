import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { PGlite } from '@electric-sql/pglite';
import { preparedQuery } from '../../src/store/pglitePrepared.ts';
import { openTestPGliteInstance } from '../helpers/pgliteTemplate.ts';

let pglite: PGlite;
let query: ReturnType<typeof preparedQuery>;

before(async () => {
  pglite = await openTestPGliteInstance();
  query = preparedQuery(pglite);
  await pglite.exec(`CREATE TABLE t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text UNIQUE, data jsonb, n int, big bigint, ok boolean, tags text[], at timestamptz DEFAULT now())`);
});
after(async () => {
  await pglite.close();
});

test('a prepared statement answers what PGlite.query answers, every type parsed alike, on every call', async () => {
  const insert = `INSERT INTO t (name, data, n, big, ok, tags, at) VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7) RETURNING *`;
  const at = new Date('2026-12-01T10:00:00.123Z');
  const first = await query<Record<string, unknown>>(insert, ['a', JSON.stringify({ x: [1, 'y'] }), 7, 9007199254740993n, true, ['p', 'q'], at]);
  const second = await query<Record<string, unknown>>(insert, ['b', null, null, null, null, null, null]);
  const viaQuery = (await pglite.query<Record<string, unknown>>('SELECT * FROM t ORDER BY name')).rows;
  assert.deepEqual([first[0], second[0]].map((r) => ({ ...r, at: undefined })), viaQuery.map((r) => ({ ...r, at: undefined })));
  assert.deepEqual(first[0]!.data, { x: [1, 'y'] });
  assert.deepEqual(first[0]!.tags, ['p', 'q']);
  assert.equal((first[0]!.at as Date).getTime(), at.getTime());
  assert.equal(second[0]!.data, null);
  const select = 'SELECT name, n FROM t WHERE name = $1';
  assert.deepEqual(await query(select, ['a']), [{ name: 'a', n: 7 }]);
  assert.deepEqual(await query(select, ['b']), [{ name: 'b', n: null }]);
  assert.deepEqual(await query(select, ['none']), []);
  assert.deepEqual(await query('UPDATE t SET n = n + 1 WHERE name = $1', ['a']), [], 'a statement without rows answers none');
  assert.deepEqual(await query(select, ['a']), [{ name: 'a', n: 8 }]);
});

test('an error rejects with the server\'s code and leaves the connection ready for the next statement', async () => {
  const insert = 'INSERT INTO t (name) VALUES ($1)';
  await query(insert, ['dup']);
  await assert.rejects(query(insert, ['dup']), (err: { code?: string }) => err.code === '23505');
  await assert.rejects(query('SELEC nonsense', []), (err: { code?: string }) => err.code === '42601');
  await assert.rejects(query('SELEC nonsense', []), (err: { code?: string }) => err.code === '42601', 'a statement that does not parse is not kept');
  assert.deepEqual(await query('SELECT count(*)::int AS n FROM t WHERE name = $1', ['dup']), [{ n: 1 }]);
});

test('never runs inside another caller\'s open transaction on the single connection', async () => {
  const count = 'SELECT count(*)::int AS n FROM t WHERE name = $1';
  await query(count, ['uncommitted']);
  let outside: Promise<unknown> | undefined;
  await pglite.transaction(async (tx) => {
    await tx.query('INSERT INTO t (name) VALUES ($1)', ['uncommitted']);
    // Asked while the transaction is open: run inside it, it would count the uncommitted row.
    outside = query(count, ['uncommitted']);
    await tx.query('SELECT 1');
    await tx.rollback();
  });
  assert.deepEqual(await outside, [{ n: 0 }]);
});

test('a statement the server dropped (DEALLOCATE) or whose result changed shape (DDL) is prepared again', async () => {
  const select = 'SELECT * FROM t WHERE name = $1';
  await query(select, ['a']);
  await pglite.exec('DEALLOCATE ALL');
  assert.equal((await query<{ name: string }>(select, ['a']))[0]!.name, 'a');
  await pglite.exec('ALTER TABLE t ADD COLUMN extra text DEFAULT \'e\'');
  assert.equal((await query<{ extra: string }>(select, ['a']))[0]!.extra, 'e');
});

test('past the bound of kept statements, more distinct texts still run (unprepared)', async () => {
  for (let i = 0; i < 300; i++) assert.deepEqual(await query(`SELECT ${i}::int AS n, $1::text AS s`, ['x']), [{ n: i, s: 'x' }]);
});
