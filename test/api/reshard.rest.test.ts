import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { RunningService } from '../../src/startService.ts';
import { createReadyCluster, observedMasters, slotCount } from '../helpers/clusters.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';
import { verifyClusterFromNodes } from '../helpers/verifyCluster.ts';

const KEYS = 20_000;

describe('reshard and rebalance over REST', () => {
  let service: RunningService;
  let set: RedisNodeSet;
  let masterAddresses: string[];
  before(async () => {
    service = await startTestService();
    set = await startRedisNodes(6);
    await createReadyCluster(service, 'rs', set, 1);
    const masters = await observedMasters(service, 'rs');
    masterAddresses = masters.map((m) => m.address);
    await loadKeys(masters, KEYS, 32);
  });
  after(async () => {
    await service.stop();
    await set.stop();
  });

  const post = (path: string, body: object) => request(service.restApp).post(path).set('authorization', AUTH).send(body);
  const operationCount = async () => (await request(service.restApp).get('/v1/operations?cluster=rs').set('authorization', AUTH)).body.operations.length;

  test('a dry run shows the exact plan with key counts and changes nothing', async () => {
    const [a, b] = await observedMasters(service, 'rs');
    const before = await operationCount();
    const res = await post('/v1/clusters/rs/reshard', { to: b!.address, from: [a!.address], slots: 1000, dryRun: true });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.dryRun, true);
    assert.equal(res.body.slotsTotal, 1000);
    assert.deepEqual(res.body.moves.map((m: { from: { id: string }; to: { id: string }; slots: number[][] }) => [m.from.id, m.to.id, m.slots]), [[a!.id, b!.id, [[0, 999]]]]);
    assert.ok(res.body.keysTotal > 0 && res.body.keysTotal < KEYS);
    assert.deepEqual(res.body.steps.map((s: { kind: string }) => s.kind), ['check_cluster', 'move_slots', 'wait_converged', 'record_slots']);
    assert.equal(await operationCount(), before);
    assert.equal(slotCount((await observedMasters(service, 'rs'))[0]!.slots), slotCount(a!.slots));
  });

  test('moves 1000 slots with their keys, with progress, and nothing is lost', async () => {
    const [a, b] = await observedMasters(service, 'rs');
    const plan = await post('/v1/clusters/rs/reshard', { to: b!.address, from: [a!.id], slots: 1000, dryRun: true });
    const res = await post('/v1/clusters/rs/reshard', { to: b!.address, from: [a!.id], slots: 1000 });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.headers.location, `/v1/operations/${res.body.id}`);
    assert.equal(res.body.kind, 'reshard');
    const op = await waitForOperation(service.restApp, res.body.id);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    assert.equal(op.progress.slotsMoved, 1000);
    assert.equal(op.progress.slotsTotal, 1000);
    assert.equal(op.progress.keysMoved, plan.body.keysTotal);
    assert.equal(op.progress.percent, 100);
    const after = await observedMasters(service, 'rs');
    const a2 = after.find((m) => m.id === a!.id);
    const b2 = after.find((m) => m.id === b!.id);
    assert.equal(slotCount(a2!.slots), slotCount(a!.slots) - 1000);
    assert.equal(slotCount(b2!.slots), slotCount(b!.slots) + 1000);
    assert.equal(await countKeys(masterAddresses), KEYS);
    await verifyClusterFromNodes(set.nodes, 3, 1);
    const check = await request(service.restApp).get('/v1/clusters/rs/check').set('authorization', AUTH);
    assert.equal(check.body.ok, true, JSON.stringify(check.body));
    // The desired topology follows: each shard's slots are what its master serves now.
    const cluster = (await request(service.restApp).get('/v1/clusters/rs').set('authorization', AUTH)).body;
    const specSlots = new Map(cluster.spec.shards.map((s: { master: string; slots: number[][] }) => [s.master, s.slots]));
    for (const m of after) assert.deepEqual(specSlots.get(m.address), m.slots, `spec of ${m.address}`);
  });

  test('explicit moves by range, and a repeat is a no-op', async () => {
    const [, , c] = await observedMasters(service, 'rs');
    const body = { moves: [{ slots: [[1000, 1099], [1500, 1500]], to: c!.id }] };
    const op = await waitForOperation(service.restApp, (await post('/v1/clusters/rs/reshard', body)).body.id);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    assert.equal(op.progress.slotsMoved, 101);
    const again = await post('/v1/clusters/rs/reshard', { ...body, dryRun: true });
    assert.equal(again.body.slotsTotal, 0);
    assert.equal(await countKeys(masterAddresses), KEYS);
  });

  test('rebalance evens the masters out again', async () => {
    const dry = await post('/v1/clusters/rs/rebalance', { dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.ok(dry.body.slotsTotal > 0);
    const op = await waitForOperation(service.restApp, (await post('/v1/clusters/rs/rebalance', {})).body.id);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    assert.equal(op.kind, 'rebalance');
    const counts = (await observedMasters(service, 'rs')).map((m) => slotCount(m.slots));
    assert.ok(counts.every((n) => Math.abs(n - 16384 / 3) <= 16384 / 3 * 0.02 + 1), counts.join(','));
    assert.equal(await countKeys(masterAddresses), KEYS);
    await verifyClusterFromNodes(set.nodes, 3, 1);
    const noop = await post('/v1/clusters/rs/rebalance', { dryRun: true });
    assert.equal(noop.body.slotsTotal, 0);
  });

  test('bad input is refused with a stable code and changes nothing', async () => {
    const masters = await observedMasters(service, 'rs');
    const cluster = (await request(service.restApp).get('/v1/clusters/rs').set('authorization', AUTH)).body;
    const replica = cluster.observed.nodes.find((n: { role: string }) => n.role === 'replica');
    const before = await operationCount();
    const cases: [string, object, number, string, string][] = [
      ['unknown node', { to: '127.0.0.1:1', slots: 10 }, 400, 'invalid_node', '/to'],
      ['a replica as target', { to: replica.address, slots: 10 }, 400, 'invalid_node', '/to'],
      ['slot out of range', { moves: [{ slots: [[16000, 16384]], to: masters[0]!.id }] }, 400, 'invalid_argument', '/moves/0/slots/0'],
      ['start after end', { moves: [{ slots: [[10, 5]], to: masters[0]!.id }] }, 400, 'invalid_argument', '/moves/0/slots/0'],
      ['overlapping moves', { moves: [{ slots: [[0, 10]], to: masters[0]!.id }, { slots: [[5, 20]], to: masters[1]!.id }] }, 400, 'invalid_argument', '/moves/1/slots/0'],
      ['zero slots', { to: masters[0]!.id, slots: 0 }, 400, 'invalid_argument', '/slots'],
      ['both forms at once', { to: masters[0]!.id, slots: 5, moves: [{ slots: [[0, 1]], to: masters[1]!.id }] }, 400, 'invalid_argument', ''],
      ['target among the sources', { to: masters[0]!.id, from: [masters[0]!.id], slots: 5 }, 400, 'invalid_argument', '/from/0'],
      ['more slots than the sources hold', { to: masters[0]!.id, from: [masters[1]!.id], slots: 16000 }, 400, 'invalid_argument', '/slots'],
      ['unknown field', { to: masters[0]!.id, slots: 5, force: true }, 400, 'invalid_argument', '/force'],
      ['a throttle of zero', { to: masters[0]!.id, slots: 5, maxKeysPerSecond: 0 }, 400, 'invalid_argument', '/maxKeysPerSecond'],
      ['a fractional throttle', { to: masters[0]!.id, slots: 5, maxKeysPerSecond: 1.5 }, 400, 'invalid_argument', '/maxKeysPerSecond'],
    ];
    for (const [label, body, status, code, pointer] of cases) {
      const res = await post('/v1/clusters/rs/reshard', body);
      assert.equal(res.status, status, `${label}: ${res.text}`);
      assert.equal(res.body.code, code, `${label}: ${res.text}`);
      assert.ok(res.body.errors?.some((e: { pointer: string }) => e.pointer === pointer || e.pointer.startsWith(`${pointer}/`)), `${label}: expected ${pointer} in ${res.text}`);
    }
    const rebalanceCases: [object, string][] = [
      [{ weights: { [masters[0]!.id]: -1 } }, `/weights/${masters[0]!.id}`],
      [{ weights: { 'nope:1': 1 } }, '/weights/nope:1'],
      [{ threshold: 101 }, '/threshold'],
      [{ maxKeysPerSecond: 20_000_000 }, '/maxKeysPerSecond'],
    ];
    for (const [body, pointer] of rebalanceCases) {
      const res = await post('/v1/clusters/rs/rebalance', body);
      assert.equal(res.status, 400, res.text);
      assert.ok(res.body.errors?.some((e: { pointer: string }) => e.pointer === pointer), `expected ${pointer} in ${res.text}`);
    }
    const missing = await post('/v1/clusters/nope/reshard', { to: masters[0]!.id, slots: 5 });
    assert.equal(missing.status, 404);
    assert.equal(await operationCount(), before, 'no operation was created');
    assert.equal(await countKeys(masterAddresses), KEYS);
  });
});
