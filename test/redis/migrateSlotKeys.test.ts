import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { DomainError } from '../../src/domain/errors.ts';
import type { MigrateTarget } from '../../src/redis/migrateCommand.ts';
import { migrateSlotKeys } from '../../src/redis/migrateSlotKeys.ts';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';
import { setSlotImporting, setSlotMigrating, setSlotNode } from '../../src/redis/setSlot.ts';
import type { BuiltNode } from '../helpers/buildCluster.ts';
import { startMasterPair, type MasterPair } from '../helpers/masterPair.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';

const hasCode = (code: string, text?: RegExp) => (err: unknown) =>
  err instanceof DomainError && err.code === code && (text === undefined || text.test(err.message));

describe('migrateSlotKeys between two masters (slot opened by hand, as moveSlots does)', () => {
  let pair: MasterPair;
  let a: BuiltNode, b: BuiltNode;
  let source: Redis, dest: Redis;
  let target: MigrateTarget;
  const usedTags = new Set<string>();

  before(async () => {
    pair = await startMasterPair(new NodeConnections(undefined, { commandTimeoutMs: 30_000 }));
    ({ a, b, source, dest, target } = pair);
  });
  after(async () => {
    await pair?.stop();
  });

  /**
   * Picks a fresh hash tag whose slot `a` serves, lets `fill` write its keys on `a` (a migrating
   * slot refuses new keys), then opens the slot from a to b.
   */
  async function openSlot(fill: (tag: string) => Promise<unknown>): Promise<{ tag: string; slot: number }> {
    for (let i = 0; ; i++) {
      const tag = `t${i}`;
      const slot = Number(await source.call('CLUSTER', 'KEYSLOT', tag));
      if (slot >= 8192 || usedTags.has(tag)) continue;
      usedTags.add(tag);
      await fill(tag);
      await setSlotImporting(dest, [slot], a.id);
      await setSlotMigrating(source, [slot], b.id);
      return { tag, slot };
    }
  }
  async function closeSlot(slot: number): Promise<void> {
    await setSlotNode(dest, [slot], b.id);
    await setSlotNode(source, [slot], b.id);
  }
  /** Writes on the target, which only imports the slot (ASKING, as a redirected client would). */
  async function setOnTarget(key: string, value: string): Promise<void> {
    await dest.pipeline().call('ASKING').set(key, value).exec();
  }
  const migrateCalls = async (): Promise<number> =>
    Number(/cmdstat_migrate:calls=(\d+)/.exec(String(await source.info('commandstats')))?.[1] ?? 0);

  test('moves every key of the slot, in batches bounded by bytes as well as by count', async () => {
    const value = 'v'.repeat(10_000);
    const keysOf = (tag: string): string[] => Array.from({ length: 300 }, (_, i) => `{${tag}}:k${i}`);
    const { tag, slot } = await openSlot((t) => keysOf(t).reduce((p, k) => p.set(k, value), source.pipeline()).exec());
    const keys = keysOf(tag);
    const callsBefore = await migrateCalls();
    const reported: number[] = [];
    const result = await migrateSlotKeys(source, target, slot, { batchBytes: 100_000, onKeysMoved: (n) => reported.push(n) });
    const calls = (await migrateCalls()) - callsBefore;

    assert.deepEqual(result, { keysMoved: 300 });
    assert.equal(reported.reduce((x, y) => x + y, 0), 300);
    // ~10 KB per key (MEMORY USAGE) and 100 KB per MIGRATE: at most 9 keys per call.
    assert.ok(calls >= 300 / 9, `${calls} MIGRATE calls`);
    assert.equal(Number(await source.call('CLUSTER', 'COUNTKEYSINSLOT', slot)), 0);
    const moved = (await dest.pipeline(keys.map((k) => ['asking'] as [string]).flatMap((c, i) => [c, ['get', keys[i]!]])).exec()) ?? [];
    assert.ok(moved.filter((_, i) => i % 2 === 1).every(([err, v]) => err === null && v === value));
    assert.deepEqual(await migrateSlotKeys(source, target, slot), { keysMoved: 0 }, 'an empty slot moves nothing');
    await closeSlot(slot);
  });

  test('binary key names move intact', async () => {
    const keyOf = (tag: string): Buffer => Buffer.concat([Buffer.from(`{${tag}}`), Buffer.from([0xff, 0x00, 0xfe, 0x0a])]);
    const { tag, slot } = await openSlot((t) => source.set(keyOf(t), 'binary'));
    const key = keyOf(tag);
    assert.deepEqual(await migrateSlotKeys(source, target, slot), { keysMoved: 1 });
    await closeSlot(slot);
    assert.equal(await dest.get(key), 'binary');
  });

  test('BUSYKEY with an equal value on the target: moved with REPLACE', async () => {
    const keysOf = (tag: string): string[] => [1, 2, 3].map((i) => `{${tag}}:k${i}`);
    const { tag, slot } = await openSlot((t) => source.mset(...keysOf(t).flatMap((k, i) => [k, ['one', 'two', 'three'][i]!])));
    const keys = keysOf(tag);
    await setOnTarget(keys[1]!, 'two'); // left there by an interrupted MIGRATE, say
    assert.deepEqual(await migrateSlotKeys(source, target, slot), { keysMoved: 3 });
    await closeSlot(slot);
    assert.deepEqual(await dest.mget(...keys), ['one', 'two', 'three']);
    assert.equal(await source.exists(...keys).catch(() => 0), 0);
  });

  test('BUSYKEY with a different value: fails naming the key, changes nothing; replace overwrites', async () => {
    const { tag, slot } = await openSlot((t) => source.mset(`{${t}}:free`, 'source-free', `{${t}}:busy`, 'source-value'));
    const [free, busy] = [`{${tag}}:free`, `{${tag}}:busy`];
    await setOnTarget(busy, 'target-value');
    await assert.rejects(migrateSlotKeys(source, target, slot), hasCode('busy_keys', new RegExp(`"\\{${tag}\\}:busy"`)));
    assert.equal(await source.get(busy), 'source-value', 'the source keeps its copy');
    const onTarget = await dest.pipeline().call('ASKING').get(busy).call('ASKING').get(free).exec();
    assert.deepEqual(onTarget?.map(([, v]) => v), ['OK', 'target-value', 'OK', 'source-free'], 'the others of the batch moved');

    assert.deepEqual(await migrateSlotKeys(source, target, slot, { replace: true }), { keysMoved: 1 });
    await closeSlot(slot);
    assert.deepEqual(await dest.mget(free, busy), ['source-free', 'source-value']);
  });

  test('a key too big for the MIGRATE timeout fails alone, named with its size, and is not lost', async () => {
    const { tag, slot } = await openSlot((t) => source.mset(`{${t}}:big`, 'x'.repeat(16 * 1024 * 1024), `{${t}}:small`, 'small'));
    const key = `{${tag}}:big`;
    // 16 MiB cannot be written to another process within 1 ms; the 8 MiB default byte budget
    // makes it travel alone. On a loaded machine 1 ms can be too short for the small key's batch
    // too (it then stays on the source, named with its size in the same error): the move is tried again until
    // the big key is the one that fails, as it always does once the small one is across.
    const tooBig = hasCode('key_too_big', new RegExp(`"\\{${tag}\\}:big" in slot ${slot} \\(\\d{8} bytes\\)`));
    let failure: unknown = null;
    for (let attempt = 0; attempt < 100 && !tooBig(failure); attempt++) {
      failure = await migrateSlotKeys(source, target, slot, { timeoutMs: 1 }).then(() => null, (err: unknown) => err);
      assert.ok(failure !== null, 'the 16 MiB key never moves within 1 ms');
      assert.ok(hasCode('key_too_big')(failure), String(failure));
    }
    assert.ok(tooBig(failure), String(failure));
    assert.equal(await source.strlen(key), 16 * 1024 * 1024, 'still on the source');

    // The small key travelled in its own batch; with a sane timeout the big one follows (with
    // REPLACE if the failed attempt left an equal copy on the target).
    assert.deepEqual(await migrateSlotKeys(source, target, slot), { keysMoved: 1 });
    await closeSlot(slot);
    assert.equal(await dest.strlen(key), 16 * 1024 * 1024);
    assert.equal(await dest.get(`{${tag}}:small`), 'small');
    await assertClusterSettled([a.address, b.address]);
  });
});
