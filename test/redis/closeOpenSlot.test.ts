import assert from 'node:assert/strict';
import { slotMove } from '../../src/domain/slotMove.ts';
import { slotsToRanges } from '../../src/domain/slotSet.ts';
import { after, before, describe, test } from 'node:test';
import { Cluster, type Redis } from 'ioredis';
import { DomainError } from '../../src/domain/errors.ts';
import { closeOpenSlot } from '../../src/redis/closeOpenSlots.ts';
import { countKeysInSlots } from '../../src/redis/countKeysInSlots.ts';
import { migrateSlotKeys } from '../../src/redis/migrateSlotKeys.ts';
import { moveSlots } from '../../src/redis/moveSlots.ts';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';
import { setSlotImporting, setSlotMigrating, setSlotNode, setSlotStable } from '../../src/redis/setSlot.ts';
import { buildCluster, type BuiltNode } from '../helpers/buildCluster.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';

const hasCode = (code: string, text?: RegExp) => (err: unknown) =>
  err instanceof DomainError && err.code === code && (text === undefined || text.test(err.message));

describe('closing open slots, and moveSlots meeting keys already on the target', () => {
  let set: RedisNodeSet;
  let a: BuiltNode, b: BuiltNode;
  let masters: BuiltNode[];
  let addresses: string[];
  let A: Redis, B: Redis;
  let cluster: Cluster;
  const connections = new NodeConnections();
  const usedTags = new Set<string>();

  before(async () => {
    set = await startRedisNodes(3);
    addresses = set.nodes.map((n) => n.address);
    ({ masters } = await buildCluster(set.nodes, { masters: 3, replicasPerShard: 0 }));
    [a, b] = masters as [BuiltNode, BuiltNode];
    [A, B] = [await connections.get(a.address), await connections.get(b.address)];
    cluster = new Cluster(set.nodes.map((n) => ({ host: n.host, port: n.port })));
  });
  after(async () => {
    cluster?.disconnect();
    await connections.closeAll();
    await set?.stop();
  });

  /** A fresh hash tag in a slot that `a` serves, with `count` keys written through the cluster client. */
  async function slotWithKeys(count: number): Promise<{ slot: number; keys: string[] }> {
    for (let i = 0; ; i++) {
      const tag = `c${i}`;
      const slot = Number(await A.call('CLUSTER', 'KEYSLOT', tag));
      if (slot > 5460 || usedTags.has(tag)) continue;
      usedTags.add(tag);
      const keys = Array.from({ length: count }, (_, k) => `{${tag}}:${k}`);
      await Promise.all(keys.map((k) => cluster.set(k, `value-of-${k}`)));
      return { slot, keys };
    }
  }
  /** A slot interrupted mid-move from a to b: half the keys moved, plus one created on b through ASK. */
  async function interruptedMove(): Promise<{ slot: number; keys: string[] }> {
    const { slot, keys } = await slotWithKeys(40);
    await setSlotImporting(B, [slot], a.id);
    await setSlotMigrating(A, [slot], b.id);
    await A.call('MIGRATE', '127.0.0.1', set.nodes[1]!.port, '', 0, 5000, 'KEYS', ...keys.slice(0, 20));
    const created = `${keys[0]!.split(':')[0]}:created-during-move`;
    await cluster.set(created, `value-of-${created}`); // missing on a: ASK to b
    return { slot, keys: [...keys, created] };
  }
  async function assertReadable(keys: readonly string[]): Promise<void> {
    const values = await Promise.all(keys.map((k) => cluster.get(k)));
    assert.deepEqual(values.flatMap((v, i) => (v === `value-of-${keys[i]}` ? [] : [`${keys[i]}=${v}`])), []);
  }

  test('a settled slot: nothing to do', async () => {
    const { slot } = await slotWithKeys(3);
    assert.deepEqual(await closeOpenSlot(connections, slot, { intendedOwnerId: a.id, masters }), { action: 'none', keysMoved: 0 });
  });

  test('finishes an interrupted move toward the importing node', async () => {
    const { slot, keys } = await interruptedMove();
    assert.equal(await countKeysInSlots(B, [[slot, slot]]), 21);
    const result = await closeOpenSlot(connections, slot, { intendedOwnerId: b.id, masters });
    assert.deepEqual(result, { action: 'finished', keysMoved: 20 });
    assert.equal(await countKeysInSlots(B, [[slot, slot]]), keys.length);
    await assertClusterSettled(addresses);
    await assertReadable(keys);
  });

  test('rolls an interrupted move back: every key, also one created on the target meanwhile, returns', async () => {
    const { slot, keys } = await interruptedMove();
    const result = await closeOpenSlot(connections, slot, { intendedOwnerId: a.id, masters });
    assert.deepEqual(result, { action: 'rolled_back', keysMoved: 21 });
    assert.equal(await countKeysInSlots(A, [[slot, slot]]), keys.length);
    assert.equal(await countKeysInSlots(B, [[slot, slot]]), 0);
    await assertClusterSettled(addresses);
    await assertReadable(keys);
  });

  test('finishes a move that died between SETSLOT NODE on the target and on the source', async () => {
    const { slot, keys } = await slotWithKeys(10);
    await setSlotImporting(B, [slot], a.id);
    await setSlotMigrating(A, [slot], b.id);
    await migrateSlotKeys(A, { ip: '127.0.0.1', port: set.nodes[1]!.port, client: B }, slot);
    await setSlotNode(B, [slot], b.id);
    assert.deepEqual(await closeOpenSlot(connections, slot, { intendedOwnerId: b.id, masters }), { action: 'finished', keysMoved: 0 });
    await assertClusterSettled(addresses);
    await assertReadable(keys);
  });

  test('keys on a node that neither serves nor imports the slot are refused untouched, then recovered', async () => {
    const { slot, keys } = await interruptedMove();
    await setSlotStable(B, [slot]); // b now holds 21 keys of a slot it has nothing to do with
    await assert.rejects(
      closeOpenSlot(connections, slot, { intendedOwnerId: a.id, masters }),
      hasCode('open_slot_unresolvable', new RegExp(`${b.address} holds 21 key\\(s\\)`)),
    );
    assert.equal(await countKeysInSlots(B, [[slot, slot]]), 21);
    // An operator re-opens the import; now the keys can go home.
    await setSlotImporting(B, [slot], a.id);
    assert.deepEqual(await closeOpenSlot(connections, slot, { intendedOwnerId: a.id, masters }), { action: 'rolled_back', keysMoved: 21 });
    await assertClusterSettled(addresses);
    await assertReadable(keys);
  });

  test('moveSlots: a key already on the target with the same value moves; a different one stops the move until replace', async () => {
    const same = await slotWithKeys(5);
    const differ = await slotWithKeys(5);
    for (const { slot } of [same, differ]) await setSlotImporting(B, [slot], a.id);
    await B.pipeline().call('ASKING').set(same.keys[2]!, `value-of-${same.keys[2]}`).exec();
    await B.pipeline().call('ASKING').set(differ.keys[3]!, 'something else').exec();

    const moved = await moveSlots(connections, [slotMove(a, b, slotsToRanges([same.slot]))], masters);
    assert.deepEqual(moved, { slotsMoved: 1, slotsAlreadyDone: 0, keysMoved: 5 });
    await assertReadable(same.keys);

    await assert.rejects(
      moveSlots(connections, [slotMove(a, b, slotsToRanges([differ.slot]))], masters),
      hasCode('busy_keys', new RegExp(`"${differ.keys[3]!.replace(/[{}]/g, '\\$&')}"`)),
    );
    assert.equal(await A.get(differ.keys[3]!), `value-of-${differ.keys[3]}`, 'the source keeps its value');
    const again = await moveSlots(connections, [slotMove(a, b, slotsToRanges([differ.slot]))], masters, { replace: true });
    assert.equal(again.slotsMoved, 1);
    await assertClusterSettled(addresses);
    await assertReadable(differ.keys);
  });
});
