import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { DomainError } from '../../src/domain/errors.ts';
import { addSlotsRange } from '../../src/redis/addSlotsRange.ts';
import { meet } from '../../src/redis/meet.ts';
import { myNodeId } from '../../src/redis/myNodeId.ts';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';
import { parseInfo } from '../../src/redis/parseInfo.ts';
import { readClusterView } from '../../src/redis/readClusterView.ts';
import { replicate } from '../../src/redis/replicate.ts';
import { setConfigEpoch } from '../../src/redis/setConfigEpoch.ts';
import { applyTunables, readTunables } from '../../src/redis/tunables.ts';
import { waitUntilKnows } from '../../src/redis/waitUntilKnows.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';

const hasCode = (code: string) => (err: unknown) => err instanceof DomainError && err.code === code;

/** Polls `check` every 20 ms until it returns true (or gives up after 10 s). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('primitives (each run twice: the second call changes nothing)', () => {
  let set: RedisNodeSet;
  const connections = new NodeConnections();
  let a: Redis, b: Redis, c: Redis;
  let portOf: (i: number) => number;
  before(async () => {
    set = await startRedisNodes(3);
    [a, b, c] = (await Promise.all(set.nodes.map((n) => connections.get(n.address)))) as [Redis, Redis, Redis];
    portOf = (i) => set.nodes[i]!.port;
  });
  after(async () => {
    await connections.closeAll();
    await set?.stop();
  });

  test('myNodeId is the id of the myself line', async () => {
    const id = await myNodeId(a);
    assert.match(id, /^[0-9a-f]{40}$/);
    assert.equal((await readClusterView(a)).myself.id, id);
  });

  test('applyTunables returns the previous values and restores them', async () => {
    const original = await readTunables(a);
    assert.deepEqual(original, { 'repl-diskless-sync-delay': '5', 'cluster-node-timeout': '15000' });
    const fast = { 'repl-diskless-sync-delay': '0', 'cluster-node-timeout': '500' } as const;
    const first = await applyTunables(a, fast);
    assert.deepEqual(first, { changed: true, previous: original });
    assert.deepEqual(await readTunables(a), fast);
    assert.deepEqual(await applyTunables(a, fast), { changed: false, previous: fast });
    assert.equal((await applyTunables(a, first.previous)).changed, true);
    assert.equal((await applyTunables(a, first.previous)).changed, false);
    assert.deepEqual(await readTunables(a), original);
    // Only the keys asked for are touched and returned.
    const partial = await applyTunables(a, { 'cluster-node-timeout': '15000' });
    assert.deepEqual(partial, { changed: false, previous: { 'cluster-node-timeout': '15000' } });
  });

  test('setConfigEpoch', async () => {
    assert.equal(await setConfigEpoch(a, 1), true);
    assert.equal(await setConfigEpoch(a, 1), false);
    assert.equal(parseInfo(String(await a.call('CLUSTER', 'INFO'))).get('cluster_my_epoch'), '1');
    assert.equal(await setConfigEpoch(b, 2), true);
    assert.equal(await setConfigEpoch(b, 2), false);
  });

  test('addSlotsRange adds only the slots the node lacks', async () => {
    assert.equal(await addSlotsRange(a, [[0, 99], [200, 299]]), true);
    assert.equal(await addSlotsRange(a, [[0, 99], [200, 299]]), false);
    // Overlaps what a has: only 100-150 are sent (Redis would refuse an already-assigned slot).
    assert.equal(await addSlotsRange(a, [[50, 150]]), true);
    assert.deepEqual((await readClusterView(a)).myself.slots, [[0, 150], [200, 299]]);
    await assert.rejects(addSlotsRange(a, [[16000, 16384]]), hasCode('invalid_slot_range'));
  });

  test('meet', async () => {
    assert.equal(await meet(a, '127.0.0.1', portOf(1)), true);
    assert.equal(await meet(a, '127.0.0.1', portOf(1)), false);
    assert.equal(await meet(c, '127.0.0.1', portOf(0)), true);
    assert.equal(await meet(c, '127.0.0.1', portOf(0)), false);
    assert.equal(await meet(a, '127.0.0.1', portOf(0)), false, 'a node does not meet itself');
    await assert.rejects(meet(a, 'localhost', portOf(2)), hasCode('meet_needs_ip'));
  });

  test('waitUntilKnows', async () => {
    const [idA, idB, idC] = await Promise.all([myNodeId(a), myNodeId(b), myNodeId(c)]);
    await waitUntilKnows(b, [idA], { timeoutMs: 10_000 });
    await waitUntilKnows(c, [idA, idB], { timeoutMs: 10_000 });
    await waitUntilKnows(a, [idB, idC], { timeoutMs: 10_000 });
    const ghost = 'f'.repeat(40);
    await assert.rejects(
      waitUntilKnows(a, [idB, ghost], { timeoutMs: 100 }),
      (err: unknown) => hasCode('node_not_known')(err) && (err as Error).message.includes(ghost) && !(err as Error).message.includes(idB),
    );
    await assert.rejects(waitUntilKnows(a, [ghost], { timeoutMs: 10_000, signal: AbortSignal.timeout(50) }), { name: 'TimeoutError' });
  });

  test('addSlotsRange refuses slots served by another node', async () => {
    await until('b sees the slots of a', async () => (await readClusterView(b)).nodes.some((n) => !n.myself && n.slots.length > 0));
    await assert.rejects(addSlotsRange(b, [[140, 160], [1000, 1001]]), (err: unknown) => {
      assert.ok(hasCode('slots_owned_elsewhere')(err));
      assert.match((err as Error).message, /slots 140-150 are served by 127\.0\.0\.1:\d+/);
      return true;
    });
    assert.deepEqual((await readClusterView(b)).myself.slots, [], 'nothing was assigned');
  });

  test('setConfigEpoch is refused once the node knows others and has an epoch', async () => {
    await assert.rejects(setConfigEpoch(b, 7), hasCode('config_epoch_refused'));
    assert.equal(await setConfigEpoch(b, 2), false, 'the same epoch is still a no-op');
  });

  test('replicate', async () => {
    const idA = await myNodeId(a);
    await assert.rejects(replicate(c, 'e'.repeat(40)), hasCode('master_unknown'));
    assert.equal(await replicate(c, idA), true);
    assert.equal(await replicate(c, idA), false);
    const me = (await readClusterView(c)).myself;
    assert.equal(me.role, 'replica');
    assert.equal(me.masterId, idA);
    await assert.rejects(replicate(a, idA), hasCode('replicate_self'));
  });
});
