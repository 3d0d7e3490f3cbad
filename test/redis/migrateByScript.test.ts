import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { DomainError } from '../../src/domain/errors.ts';
import { canMigrateByScript, migrateByScript, SCRIPT_CALL_LIMITS } from '../../src/redis/migrateByScript.ts';
import type { MigrateTarget } from '../../src/redis/migrateCommand.ts';
import { migrateSlotsKeys } from '../../src/redis/migrateSlotKeys.ts';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';
import { mayRunScripts } from '../../src/redis/nodeScripts.ts';
import { setSlotImporting, setSlotMigrating, setSlotNode } from '../../src/redis/setSlot.ts';
import type { BuiltNode } from '../helpers/buildCluster.ts';
import { startMasterPair, type MasterPair } from '../helpers/masterPair.ts';

const OPTIONS = { batchKeys: 1000, batchBytes: 8 * 1024 * 1024, timeoutMs: 5000, replace: false } as const;

describe('migrateByScript: MIGRATE run by a script on the source', () => {
  let pair: MasterPair;
  let a: BuiltNode, b: BuiltNode;
  let source: Redis, dest: Redis;
  let target: MigrateTarget;
  let nextTag = 0;

  before(async () => {
    pair = await startMasterPair();
    ({ a, b, source, dest, target } = pair);
  });
  after(async () => {
    await pair?.stop();
  });

  /** Writes `counts[i]` keys into each of `counts.length` fresh slots of `a`, then opens them toward `b`. */
  async function openSlots(counts: readonly number[]): Promise<{ slots: number[]; keys: string[][] }> {
    const slots: number[] = [];
    const keys: string[][] = [];
    for (const count of counts) {
      for (;;) {
        const tag = `m${nextTag++}`;
        const slot = Number(await source.call('CLUSTER', 'KEYSLOT', tag));
        if (slot >= 8192 || slots.includes(slot)) continue;
        const names = Array.from({ length: count }, (_, i) => `{${tag}}:${i}`);
        if (names.length > 0) await names.reduce((p, k, i) => p.set(k, `value-${i}`), source.pipeline()).exec();
        slots.push(slot);
        keys.push(names);
        break;
      }
    }
    await setSlotImporting(dest, slots, a.id);
    await setSlotMigrating(source, slots, b.id);
    return { slots, keys };
  }
  async function closeSlots(slots: readonly number[]): Promise<void> {
    await setSlotNode(dest, slots, b.id);
    await setSlotNode(source, slots, b.id);
  }
  const countIn = async (client: Redis, slots: readonly number[]): Promise<number> =>
    (await Promise.all(slots.map((s) => client.call('CLUSTER', 'COUNTKEYSINSLOT', s)))).reduce<number>((n, c) => n + Number(c), 0);

  test('moves every key of several slots, in as many calls as its per-call limit needs', async () => {
    // Batches of 200 keys: a call stops after the MIGRATE that reaches its key limit, so moving
    // more than twice that limit takes at least three calls.
    const big = SCRIPT_CALL_LIMITS.keys * 2 + 100;
    const { slots } = await openSlots([big, 3, 0, 40]);
    const reported: number[] = [];
    const result = await migrateByScript(source, target, slots, { ...OPTIONS, batchKeys: 200, onKeysMoved: (n) => reported.push(n) });
    assert.deepEqual(result, { keysMoved: big + 43, unfinished: [] });
    assert.ok(reported.length >= 3, `${reported.length} calls reported`);
    assert.equal(reported.reduce((x, y) => x + y, 0), big + 43);
    assert.equal(await countIn(source, slots), 0);
    assert.equal(await countIn(dest, slots), big + 43);
    await closeSlots(slots);
  });

  test('stops at a BUSYKEY and leaves that slot and the next ones; migrateSlotsKeys then names the key', async () => {
    const { slots, keys } = await openSlots([5, 5, 5]);
    const busy = keys[1]![2]!;
    await dest.pipeline().call('ASKING').set(busy, 'a different value').exec();

    const result = await migrateByScript(source, target, slots, OPTIONS);
    assert.deepEqual(result.unfinished, slots.slice(1));
    assert.equal(await countIn(source, [slots[0]!]), 0);
    assert.equal(await source.get(busy), 'value-2', 'the conflicting key stays on the source');

    assert.equal(result.keysMoved, 5 + 4, 'the keys of the failed batch that did move are counted');
    await assert.rejects(
      migrateSlotsKeys(source, target, result.unfinished, OPTIONS),
      (err) => err instanceof DomainError && err.code === 'busy_keys' && err.message.includes(busy),
    );
    assert.equal(await countIn(source, slots), 1, 'only the conflicting key is left');
    assert.deepEqual(await migrateSlotsKeys(source, target, result.unfinished, { ...OPTIONS, replace: true }), { keysMoved: 1 });
    assert.equal(await countIn(source, slots), 0);
    assert.equal(await dest.pipeline().call('ASKING').get(busy).exec().then((r) => r?.[1]?.[1]), 'value-2');
    await closeSlots(slots);
  });

  test('not with a password (it would show in SLOWLOG and MONITOR) nor on a source that only imports', () => {
    assert.equal(canMigrateByScript(source, { hasPassword: false, sourceImporting: false }), true);
    assert.equal(canMigrateByScript(source, { hasPassword: true, sourceImporting: false }), false);
    assert.equal(canMigrateByScript(source, { hasPassword: false, sourceImporting: true }), false);
  });

  test('a node whose ACL denies scripting: migrateSlotsKeys moves the keys by pipelines instead', async () => {
    await source.call('ACL', 'SETUSER', 'noscripts', 'on', '>noscripts-secret', '~*', '&*', '+@all', '-@scripting');
    const restricted = new NodeConnections({ username: 'noscripts', password: 'noscripts-secret' });
    try {
      const asUser = await restricted.get(a.address);
      const { slots } = await openSlots([30, 7]);
      assert.deepEqual(await migrateSlotsKeys(asUser, target, slots, OPTIONS), { keysMoved: 37 });
      assert.equal(mayRunScripts(asUser), false, 'the refusal is remembered for this connection');
      assert.equal(await countIn(source, slots), 0);
      await closeSlots(slots);
    } finally {
      await restricted.closeAll();
    }
  });
});
