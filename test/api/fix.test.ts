import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import calculateSlot from 'cluster-key-slot';
import request from 'supertest';
import type { RunningService } from '../../src/startService.ts';
import { createReadyCluster, observedMasters } from '../helpers/clusters.ts';
import { call, grpcClients } from '../helpers/grpcClient.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, withNodeClient, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';
import { verifyClusterFromNodes } from '../helpers/verifyCluster.ts';

const KEYS = 5000;

describe('fix closes open slots from what the history says was intended', () => {
  let service: RunningService;
  let set: RedisNodeSet;
  let addresses: string[];
  const nodeAt = (address: string) => set.nodes.find((n) => n.address === address)!;
  const post = (path: string, body: object) => request(service.restApp).post(path).set('authorization', AUTH).send(body);

  before(async () => {
    service = await startTestService();
    set = await startRedisNodes(3);
    addresses = set.nodes.map((n) => n.address);
    await createReadyCluster(service, 'fx', set, 0);
    await loadKeys(await observedMasters(service, 'fx'), KEYS, 16);
  });
  after(async () => {
    await service.stop();
    await set.stop();
  });

  test('a reshard that failed on a conflicting key is finished toward its target', async () => {
    const [a, b] = await observedMasters(service, 'fx');
    // key:0 lives on a (slot < 5461); plant a different value for it on b, which does not serve it.
    const key = 'key:0';
    const slot = calculateSlot(key);
    assert.ok(slot < 5461);
    await withNodeClient(nodeAt(b!.address), async (c) => {
      await c.cluster('SETSLOT', slot, 'IMPORTING', a!.id);
      await c.call('ASKING');
      await c.set(key, 'different');
      await c.cluster('SETSLOT', slot, 'STABLE');
    });
    const res = await post('/v1/clusters/fx/reshard', { moves: [{ slots: [[slot, slot]], to: b!.id }] });
    const failed = await waitForOperation(service.restApp, res.body.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'busy_keys');
    assert.match(failed.error!.detail, /key:0/);

    const check = await request(service.restApp).get('/v1/clusters/fx/check').set('authorization', AUTH);
    assert.ok(check.body.openSlots.some((o: { slot: number }) => o.slot === slot), JSON.stringify(check.body.openSlots));
    // Reshards are refused while slots are open.
    const refused = await post('/v1/clusters/fx/reshard', { to: b!.id, slots: 10 });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'open_slots');

    // The operator removes the stray copy; the fix must then finish the move, not guess.
    await withNodeClient(nodeAt(b!.address), async (c) => {
      await c.call('ASKING');
      await c.del(key);
    });
    const plan = await post('/v1/clusters/fx/fix', { dryRun: true });
    assert.equal(plan.status, 200, plan.text);
    assert.deepEqual(plan.body.resolutions.map((r: { slot: number; ownerId: string; action: string }) => [r.slot, r.ownerId, r.action]), [[slot, b!.id, 'finish']]);
    assert.match(plan.body.resolutions[0].reason, new RegExp(`reshard ${res.body.id} \\(failed\\)`));
    const fix = await post('/v1/clusters/fx/fix', {});
    assert.equal(fix.status, 202, fix.text);
    const done = await waitForOperation(service.restApp, fix.body.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const after = await request(service.restApp).get('/v1/clusters/fx/check').set('authorization', AUTH);
    assert.equal(after.body.ok, true, JSON.stringify(after.body));
    const owner = (await observedMasters(service, 'fx')).find((m) => m.slots.some(([s, e]) => s <= slot && slot <= e));
    assert.equal(owner?.id, b!.id);
    assert.equal(await countKeys(addresses), KEYS);
    await verifyClusterFromNodes(set.nodes, 3, 0);
  });

  test('a slot opened by hand is rolled back to the master that serves it', async () => {
    const masters = await observedMasters(service, 'fx');
    const c = masters.at(-1)!;
    const other = masters[0]!;
    const slot = c.slots.at(-1)![1];
    await withNodeClient(nodeAt(other.address), (x) => x.cluster('SETSLOT', slot, 'IMPORTING', c.id));
    await withNodeClient(nodeAt(c.address), (x) => x.cluster('SETSLOT', slot, 'MIGRATING', other.id));
    const plan = await post('/v1/clusters/fx/fix', { dryRun: true });
    assert.deepEqual(plan.body.resolutions.map((r: { slot: number; ownerId: string; action: string }) => [r.slot, r.ownerId, r.action]), [[slot, c.id, 'roll_back']]);
    const done = await waitForOperation(service.restApp, (await post('/v1/clusters/fx/fix', {})).body.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const after = await request(service.restApp).get('/v1/clusters/fx/check').set('authorization', AUTH);
    assert.equal(after.body.ok, true, JSON.stringify(after.body));
    assert.equal(await countKeys(addresses), KEYS);
  });

  test('nothing open: the fix has nothing to do, over REST and gRPC', async () => {
    const plan = await post('/v1/clusters/fx/fix', { dryRun: true });
    assert.deepEqual(plan.body.resolutions, []);
    const clients = grpcClients(service.grpcPort!);
    try {
      const res = await call(clients.clusters, 'fixCluster', { cluster: 'fx', dryRun: true });
      assert.equal(res.plan.kind, 'fix');
      assert.equal(res.plan.cluster, 'fx');
      await assert.rejects(call(clients.clusters, 'fixCluster', { cluster: 'nope' }), { code: 5 });
    } finally {
      clients.close();
    }
  });
});
