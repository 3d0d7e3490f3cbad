import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { DomainError } from '../../src/domain/errors.ts';
import { countKeysInSlots } from '../../src/redis/countKeysInSlots.ts';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';
import { claimImportedSlots, readSlotStates, setSlotImporting, setSlotMigrating, setSlotNode, setSlotStable } from '../../src/redis/setSlot.ts';
import { buildCluster, type BuiltNode } from '../helpers/buildCluster.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';

describe('setSlot primitives (pipelined, each skips what is already true)', () => {
  let set: RedisNodeSet;
  let a: BuiltNode, b: BuiltNode;
  let A: Redis, B: Redis;
  const connections = new NodeConnections();
  const slots = [10, 11, 12, 13];

  before(async () => {
    set = await startRedisNodes(2);
    [a, b] = (await buildCluster(set.nodes, { masters: 2, replicasPerShard: 0 })).masters as [BuiltNode, BuiltNode];
    [A, B] = [await connections.get(a.address), await connections.get(b.address)];
  });
  after(async () => {
    await connections.closeAll();
    await set?.stop();
  });

  test('IMPORTING, MIGRATING, STABLE and NODE, each twice', async () => {
    assert.equal(await setSlotImporting(B, slots, a.id), 4);
    assert.equal(await setSlotImporting(B, slots, a.id), 0);
    assert.equal(await setSlotMigrating(A, slots, b.id), 4);
    assert.equal(await setSlotMigrating(A, slots, b.id), 0);
    const [onA, onB] = [await readSlotStates(A), await readSlotStates(B)];
    assert.deepEqual([...onA.migrating], slots.map((s) => [s, b.id]));
    assert.deepEqual([...onB.importing], slots.map((s) => [s, a.id]));

    // Close slot 13 again on both sides: nothing moved yet, so STABLE is a rollback.
    assert.equal(await setSlotStable(A, [13]), 1);
    assert.equal(await setSlotStable(B, [13]), 1);
    assert.equal(await setSlotStable(B, [13]), 0);

    const moving = slots.slice(0, 3);
    assert.equal(await setSlotNode(B, moving, b.id), 3);
    assert.equal(await setSlotNode(A, moving, b.id), 3);
    assert.equal(await setSlotNode(A, moving, b.id), 0);
    assert.equal(await setSlotNode(B, moving, b.id), 0);
    for (const state of [await readSlotStates(A), await readSlotStates(B)]) {
      assert.deepEqual(slots.map((s) => state.owners[s]), [b.id, b.id, b.id, a.id]);
      assert.equal(state.migrating.size + state.importing.size, 0);
    }
    // Once the target serves a slot, opening it again toward that target is skipped, not refused.
    assert.equal(await setSlotImporting(B, moving, a.id), 0);
    assert.equal(await setSlotMigrating(A, moving, b.id), 0);
  });

  test('NODE on a node that still holds keys of the slot is refused, naming node and slot', async () => {
    const slot = Number(await A.call('CLUSTER', 'KEYSLOT', 'held'));
    assert.ok(slot < 8192);
    await A.set('held', 'x');
    assert.equal(await countKeysInSlots(A, [[slot, slot + 1]]), 1);
    await assert.rejects(
      setSlotNode(A, [slot], b.id),
      (err) => err instanceof DomainError && err.code === 'setslot_refused' && err.message.includes(`${a.address}: CLUSTER SETSLOT ${slot} NODE`),
    );
    assert.equal(await A.get('held'), 'x');
  });

  test('claimImportedSlots: the importer takes a window with the greatest epoch, every import closed, once', async () => {
    const window = [20, 21, 22, 23, 24];
    await setSlotImporting(B, window, a.id);
    await setSlotMigrating(A, window, b.id);
    // A bumps its own epoch above B's; once B has heard of it, B must bump past it to win the slots.
    await A.call('CLUSTER', 'BUMPEPOCH');
    const epochOf = async (client: Redis, id: string): Promise<number> =>
      Number(String(await client.call('CLUSTER', 'NODES')).split('\n').find((l) => l.startsWith(id))?.split(' ')[6]);
    const bumped = await epochOf(A, a.id);
    assert.ok(bumped > (await epochOf(B, b.id)));
    for (const deadline = Date.now() + 10_000; (await epochOf(B, a.id)) !== bumped; await delay(20)) {
      assert.ok(Date.now() < deadline, 'B never heard of the bumped epoch of A');
    }

    assert.equal(await claimImportedSlots(B, window), 5);
    const onB = await readSlotStates(B);
    assert.deepEqual(window.map((s) => onB.owners[s]), window.map(() => b.id));
    assert.equal(onB.importing.size, 0);
    const [mine, theirs] = [await epochOf(B, b.id), await epochOf(B, a.id)];
    assert.ok(mine > theirs, `B's epoch ${mine} must be above A's ${theirs}`);
    assert.equal(await claimImportedSlots(B, window), 0, 'a second claim changes nothing');

    // The source is closed the usual way; both then agree and nothing is left open.
    assert.equal(await setSlotNode(A, window, b.id), 5);
    const onA = await readSlotStates(A);
    assert.deepEqual(window.map((s) => onA.owners[s]), window.map(() => b.id));
    assert.equal(onA.migrating.size + onA.importing.size, 0);
  });
});
