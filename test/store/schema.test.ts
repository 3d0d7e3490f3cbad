import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { describeEachBackend } from './backends.ts';

// Proves that the hand-written migrations build exactly what prisma/schema.prisma describes, since
// `prisma migrate diff` cannot run here to do it for us.

interface Column {
  table: string;
  column: string;
  nullable: boolean;
  type: string;
  precision: number | null;
  hasDefault: boolean;
}

interface Expected {
  columns: Column[];
  /** index name -> definition fragment, e.g. `UNIQUE INDEX ... (name)` reduced to `unique(name)` */
  indexes: Map<string, string>;
  /** foreign key name -> `cols->table(cols) ON DELETE rule` */
  foreignKeys: Map<string, string>;
}

const SCALARS: Record<string, string> = {
  String: 'text', Int: 'integer', BigInt: 'bigint', Json: 'jsonb', Boolean: 'boolean',
  DateTime: 'timestamp without time zone',
};
const NATIVE: Record<string, string> = { Uuid: 'uuid', Timestamptz: 'timestamp with time zone', Text: 'text' };

function parseSchema(source: string): Expected {
  const models = [...source.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)].map(([, name, body]) => ({
    name: name ?? '',
    lines: (body ?? '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('//')),
  }));
  const tableOf = new Map(models.map((m) => [m.name, m.lines.join(' ').match(/@@map\("(\w+)"\)/)?.[1] ?? m.name]));
  const expected: Expected = { columns: [], indexes: new Map(), foreignKeys: new Map() };
  for (const model of models) {
    const table = tableOf.get(model.name) ?? model.name;
    const columnOf = new Map<string, string>();
    const relations: { target: string; attrs: string }[] = [];
    for (const line of model.lines.filter((l) => !l.startsWith('@@'))) {
      const [, field = '', type = '', modifier = '', attrs = ''] = line.match(/^(\w+)\s+(\w+)(\?|\[\])?\s*(.*)$/) ?? [];
      if (tableOf.has(type)) {
        if (modifier !== '[]' && /@relation\(/.test(attrs)) relations.push({ target: tableOf.get(type) ?? type, attrs });
        continue;
      }
      const column = attrs.match(/@map\("(\w+)"\)/)?.[1] ?? field;
      columnOf.set(field, column);
      const native = attrs.match(/@db\.(\w+)(?:\((\d+)\))?/);
      const precision = native?.[2] ?? (type === 'DateTime' ? '3' : undefined);
      expected.columns.push({
        table, column, nullable: modifier === '?',
        type: native?.[1] ? (NATIVE[native[1]] ?? native[1]) : (SCALARS[type] ?? type),
        precision: precision === undefined ? null : Number(precision),
        hasDefault: /@default\(/.test(attrs),
      });
      if (/@id\b/.test(attrs)) expected.indexes.set(`${table}_pkey`, `unique(${column})`);
      if (/@unique\b/.test(attrs)) expected.indexes.set(`${table}_${column}_key`, `unique(${column})`);
    }
    const cols = (list: string) => list.split(',').map((f) => columnOf.get(f.trim()) ?? f.trim());
    for (const [, list = ''] of model.lines.join('\n').matchAll(/@@id\(\[([^\]]+)\]/g)) {
      expected.indexes.set(`${table}_pkey`, `unique(${cols(list).join(', ')})`);
    }
    for (const [, kind, list = ''] of model.lines.join('\n').matchAll(/@@(index|unique)\(\[([^\]]+)\]/g)) {
      const c = cols(list);
      expected.indexes.set(`${table}_${c.join('_')}_${kind === 'unique' ? 'key' : 'idx'}`,
        `${kind === 'unique' ? 'unique' : 'index'}(${c.join(', ')})`);
    }
    for (const { target, attrs } of relations) {
      const [, fields = '', references = ''] = attrs.match(/fields:\s*\[([^\]]+)\],\s*references:\s*\[([^\]]+)\]/) ?? [];
      const onDelete = (attrs.match(/onDelete:\s*(\w+)/)?.[1] ?? 'Restrict').replace(/([a-z])([A-Z])/g, '$1 $2');
      const c = cols(fields);
      expected.foreignKeys.set(`${table}_${c.join('_')}_fkey`,
        `(${c.join(', ')})->${target}(${references.split(',').map((r) => r.trim()).join(', ')}) ON DELETE ${onDelete.toUpperCase()}`);
    }
  }
  return expected;
}

const schema = parseSchema(readFileSync(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8'));

test('the schema parser finds the models it should (guards the test below against parsing nothing)', () => {
  const tables = new Set(schema.columns.map((c) => c.table));
  assert.deepEqual([...tables].sort(), [
    'api_tokens', 'cluster_observations', 'clusters', 'idempotency_keys', 'nodes', 'observer_leases', 'operation_events', 'operations',
    'webhook_deliveries', 'webhooks',
  ]);
  assert.equal(schema.indexes.get('idempotency_keys_pkey'), 'unique(token_id, key)');
  assert.ok(schema.columns.some((c) => c.table === 'operations' && c.column === 'lease_expires_at' && c.nullable));
  assert.equal(schema.foreignKeys.size, 7);
  assert.equal(schema.foreignKeys.get('operation_events_operation_id_fkey'), '(operation_id)->operations(id) ON DELETE CASCADE', 'an optional relation is a foreign key too');
});

describeEachBackend('migrations match schema.prisma', (ctx) => {
  test('tables, columns, types, nullability and defaults', async () => {
    const rows = await ctx.db.query<{
      table_name: string; column_name: string; is_nullable: string; data_type: string;
      datetime_precision: number | null; column_default: string | null;
    }>(
      `SELECT table_name, column_name, is_nullable, data_type, datetime_precision, column_default
       FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name <> '_prisma_migrations'`,
    );
    const actual = rows.map((r): Column => ({
      table: r.table_name, column: r.column_name, nullable: r.is_nullable === 'YES', type: r.data_type,
      precision: r.data_type.startsWith('timestamp') ? r.datetime_precision : null, hasDefault: r.column_default !== null,
    }));
    const key = (c: Column) => `${c.table}.${c.column}`;
    const sort = (cs: Column[]) => [...cs].sort((a, b) => key(a).localeCompare(key(b)));
    assert.deepEqual(sort(actual), sort(schema.columns));
  });

  test('indexes and unique constraints', async () => {
    const rows = await ctx.db.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes
       WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations'`,
    );
    const actual = new Map(rows.map((r) => {
      const columns = r.indexdef.match(/\(([^)]*)\)\s*$/)?.[1]?.replaceAll('"', '') ?? '';
      const unique = r.indexdef.startsWith('CREATE UNIQUE');
      return [r.indexname, `${unique ? 'unique' : 'index'}(${columns})`];
    }));
    assert.deepEqual(new Map([...actual].sort()), new Map([...schema.indexes].sort()));
  });

  test('foreign keys and their delete rules', async () => {
    const rows = await ctx.db.query<{ name: string; def: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
       WHERE contype = 'f' AND connamespace = current_schema()::regnamespace`,
    );
    const actual = new Map(rows.map((r) => {
      const m = r.def.replaceAll('"', '').match(/^FOREIGN KEY \(([^)]+)\) REFERENCES (\w+)\(([^)]+)\)(.*)$/);
      const onDelete = m?.[4]?.match(/ON DELETE (SET NULL|SET DEFAULT|CASCADE|RESTRICT|NO ACTION)/)?.[1] ?? 'NO ACTION';
      return [r.name, `(${m?.[1]})->${m?.[2]}(${m?.[3]}) ON DELETE ${onDelete}`];
    }));
    assert.deepEqual(new Map([...actual].sort()), new Map([...schema.foreignKeys].sort()));
  });
});
