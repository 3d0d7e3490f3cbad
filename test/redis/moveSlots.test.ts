import assert from 'node:assert/strict';
import { slotMove } from '../../src/domain/slotMove.ts';
import { slotsToRanges } from '../../src/domain/slotSet.ts';
import { after, before, describe, test } from 'node:test';
import { Cluster, type Redis } from 'ioredis';
import { DomainError } from '../../src/domain/errors.ts';
import { countKeysInSlots } from '../../src/redis/countKeysInSlots.ts';
import { moveSlots, type MoveSlotsProgress } from '../../src/redis/moveSlots.ts';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';
import { readClusterView } from '../../src/redis/readClusterView.ts';
import { slotStatesOf } from '../../src/redis/setSlot.ts';
import { buildCluster, type BuiltNode } from '../helpers/buildCluster.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';

const KEY_COUNT = 20_000;
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const keyName = (i: number): string => `key:${i}`;

describe('moveSlots on a 3-master cluster with 20,000 keys', () => {
  let set: RedisNodeSet;
  let masters: BuiltNode[];
  let a: BuiltNode, b: BuiltNode, c: BuiltNode;
  let addresses: string[];
  const connections = new NodeConnections();
  let cluster: Cluster;

  before(async () => {
    set = await startRedisNodes(3);
    addresses = set.nodes.map((n) => n.address);
    ({ masters } = await buildCluster(set.nodes, { masters: 3, replicasPerShard: 0 }));
    [a, b, c] = masters as [BuiltNode, BuiltNode, BuiltNode];
    const startup = set.nodes.map((n) => ({ host: n.host, port: n.port }));
    // Auto-pipelining for the bulk load only: ioredis does not follow MOVED for part of an auto
    // pipeline, so the client that lives through the moves sends commands one by one.
    const loader = new Cluster(startup, { enableAutoPipelining: true });
    try {
      await Promise.all(range(0, KEY_COUNT - 1).map((i) => loader.set(keyName(i), `value-${i}`)));
    } finally {
      loader.disconnect();
    }
    cluster = new Cluster(startup);
  });
  after(async () => {
    cluster?.disconnect();
    await connections.closeAll();
    await set?.stop();
  });

  const client = (node: BuiltNode): Promise<Redis> => connections.get(node.address);
  async function assertAllKeysReadable(expected: (i: number) => string = (i) => `value-${i}`): Promise<void> {
    const values = await Promise.all(range(0, KEY_COUNT - 1).map((i) => cluster.get(keyName(i))));
    const wrong = values.flatMap((v, i) => (v === expected(i) ? [] : [`${keyName(i)}=${v}`]));
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} keys missing or wrong`);
  }
  async function ownersAgree(slots: readonly number[], ownerId: string): Promise<void> {
    for (const node of masters) {
      const state = slotStatesOf(await readClusterView(await client(node)));
      const elsewhere = slots.filter((s) => state.owners[s] !== ownerId);
      assert.deepEqual(elsewhere.slice(0, 5), [], `${node.address} sees ${elsewhere.length} slots elsewhere`);
    }
  }

  test('moves 1000 slots with their keys; every key readable, all nodes agree, redis-cli check passes', async () => {
    const slots = range(0, 999);
    const expectedKeys = await countKeysInSlots(await client(a), slotsToRanges(slots));
    assert.ok(expectedKeys > 1000, `only ${expectedKeys} keys in the slots`);
    const progress: MoveSlotsProgress[] = [];
    const result = await moveSlots(connections, [slotMove(a, b, slotsToRanges(slots))], masters, {
      slotWindow: 64,
      onProgress: (p) => progress.push(p),
    });
    assert.deepEqual(result, { slotsMoved: 1000, slotsAlreadyDone: 0, keysMoved: expectedKeys });
    assert.equal(await countKeysInSlots(await client(a), slotsToRanges(slots)), 0);
    assert.equal(await countKeysInSlots(await client(b), slotsToRanges(slots)), expectedKeys);
    assert.equal(progress.at(-1)?.slotsMoved, 1000);
    assert.equal(progress.at(-1)?.keysMoved, expectedKeys);
    for (let i = 1; i < progress.length; i++) {
      assert.ok(progress[i]!.slotsMoved >= progress[i - 1]!.slotsMoved && progress[i]!.keysMoved >= progress[i - 1]!.keysMoved);
    }
    await ownersAgree(slots, b.id);
    await assertClusterSettled(addresses);
    await assertAllKeysReadable();
  });

  test('a second run finds everything in place and moves nothing', async () => {
    const result = await moveSlots(connections, [slotMove(a, b, slotsToRanges(range(0, 999)))], masters);
    assert.deepEqual(result, { slotsMoved: 0, slotsAlreadyDone: 1000, keysMoved: 0 });
  });

  test('a slot that the source does not serve is refused before anything changes', async () => {
    const before = await countKeysInSlots(await client(c), [[16000, 16000]]);
    await assert.rejects(
      moveSlots(connections, [slotMove(a, b, slotsToRanges([3000, 16000]))], masters),
      (err) => err instanceof DomainError && err.code === 'slot_not_on_source' && /16000/.test(err.message),
    );
    assert.equal(await countKeysInSlots(await client(c), [[16000, 16000]]), before);
    await assertClusterSettled(addresses);
  });

  test('a cancelled run stops at a window boundary with no slot open; a rerun completes it', async () => {
    const slots = range(1000, 2999);
    const expectedKeys = await countKeysInSlots(await client(a), slotsToRanges(slots));
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    const first = moveSlots(connections, [slotMove(a, c, slotsToRanges(slots))], masters, {
      slotWindow: 16,
      onProgress: (p) => {
        if (p.slotsMoved >= 100) controller.abort(reason);
      },
      signal: controller.signal,
    });
    await assert.rejects(first, (err) => err === reason);
    await assertClusterSettled(addresses);
    const stateC = slotStatesOf(await readClusterView(await client(c)));
    const onC = slots.filter((s) => stateC.owners[s] === c.id);
    assert.ok(onC.length >= 100 && onC.length < slots.length, `${onC.length} slots moved before the cancel`);
    assert.equal(onC.length % 16, 0, 'whole windows only');
    await assertAllKeysReadable();

    const rerun = await moveSlots(connections, [slotMove(a, c, slotsToRanges(slots))], masters, { slotWindow: 16 });
    assert.equal(rerun.slotsAlreadyDone, onC.length);
    assert.equal(rerun.slotsMoved, slots.length - onC.length);
    assert.equal(await countKeysInSlots(await client(c), slotsToRanges(slots)), expectedKeys);
    await ownersAgree(slots, c.id);
    await assertClusterSettled(addresses);
  });

  test('while a cluster client keeps writing and reading, every acknowledged write survives', async () => {
    const slots = range(5461, 6960); // 1500 slots of b
    const lastAcked = new Map<string, number>();
    const failures: string[] = [];
    let done = false;
    let ops = 0;
    const writer = async (w: number): Promise<void> => {
      for (let round = 0; !done || round < 3; round++) {
        for (let k = 0; k < 50; k++) {
          const key = keyName(w * 50 + k);
          const value = round + 1;
          try {
            await cluster.set(key, `live-${value}`);
            lastAcked.set(key, value);
            const read = await cluster.get(key);
            if (read !== `live-${value}`) failures.push(`${key}: read ${read} after writing live-${value}`);
            ops += 2;
          } catch (err) {
            failures.push(`${key}: ${(err as Error).message}`);
          }
        }
      }
    };
    const writers = Array.from({ length: 10 }, (_, w) => writer(w));
    const started = ops;
    const result = await moveSlots(connections, [slotMove(b, c, slotsToRanges(slots))], masters, { slotWindow: 8 }).finally(() => {
      done = true;
    });
    const opsDuringMove = ops - started;
    await Promise.all(writers);
    assert.equal(result.slotsMoved, slots.length);
    assert.ok(opsDuringMove > 500, `only ${opsDuringMove} operations overlapped the move`);
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} failures`);
    for (const [key, value] of lastAcked) assert.equal(await cluster.get(key), `live-${value}`, key);
    await assertClusterSettled(addresses);
    await assertAllKeysReadable((i) => (lastAcked.has(keyName(i)) ? `live-${lastAcked.get(keyName(i))}` : `value-${i}`));
  });

  test('two masters swapping slots run one direction after the other instead of waiting on each other', async () => {
    const state = slotStatesOf(await readClusterView(await client(a)));
    const ownedBy = (node: BuiltNode): number[] => range(0, 16383).filter((s) => state.owners[s] === node.id).slice(0, 300);
    const [fromA, fromB] = [ownedBy(a), ownedBy(b)];
    const keys = await countKeysInSlots(await client(a), slotsToRanges(fromA)) + await countKeysInSlots(await client(b), slotsToRanges(fromB));
    const values = await Promise.all(range(0, KEY_COUNT - 1).map((i) => cluster.get(keyName(i))));
    const result = await moveSlots(connections, [slotMove(a, b, slotsToRanges(fromA)), slotMove(b, a, slotsToRanges(fromB))], masters, { slotWindow: 64 });
    assert.deepEqual(result, { slotsMoved: 600, slotsAlreadyDone: 0, keysMoved: keys });
    await ownersAgree(fromA, b.id);
    await ownersAgree(fromB, a.id);
    await assertClusterSettled(addresses);
    await assertAllKeysReadable((i) => values[i] ?? 'missing before the move');
  });
});
