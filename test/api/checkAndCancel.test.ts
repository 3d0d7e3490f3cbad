import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { RunningService } from '../../src/startService.ts';
import { call, grpcClients } from '../helpers/grpcClient.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, withNodeClient, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';

describe('check reports what is wrong, from the nodes', () => {
  let service: RunningService;
  let set: RedisNodeSet;
  before(async () => {
    service = await startTestService();
    set = await startRedisNodes(6);
    const res = await request(service.restApp).post('/v1/clusters').set('authorization', AUTH)
      .send({ name: 'chk', nodes: set.nodes.map((n) => n.address), replicasPerShard: 1 });
    assert.equal((await waitForOperation(service.restApp, res.body.id)).status, 'succeeded');
  });
  after(async () => {
    await service.stop();
    await set.stop();
  });

  test('a healthy cluster checks ok over REST and gRPC', async () => {
    const res = await request(service.restApp).get('/v1/clusters/chk/check').set('authorization', AUTH);
    assert.equal(res.status, 200);
    assert.equal(res.body.ok, true, JSON.stringify(res.body));
    assert.deepEqual([res.body.openSlots, res.body.uncoveredSlots, res.body.mastersWithoutReplicas], [[], [], []]);
    const clients = grpcClients(service.grpcPort!);
    try {
      const check = await call(clients.clusters, 'checkCluster', { name: 'chk' });
      assert.equal(check.ok, true);
      assert.equal(check.cluster, 'chk');
    } finally {
      clients.close();
    }
  });

  test('an open slot, then an unreachable replica, are reported', async () => {
    const cluster = (await request(service.restApp).get('/v1/clusters/chk').set('authorization', AUTH)).body;
    const owner = cluster.observed.nodes.find((n: { slots: number[][] }) => n.slots.some(([s, e]) => s! <= 100 && 100 <= e!));
    const other = cluster.observed.nodes.find((n: { role: string; id: string }) => n.role === 'master' && n.id !== owner.id);
    const ownerNode = set.nodes.find((n) => n.address === owner.address)!;
    await withNodeClient(ownerNode, (c) => c.cluster('SETSLOT', 100, 'MIGRATING', other.id));
    const open = await request(service.restApp).get('/v1/clusters/chk/check').set('authorization', AUTH);
    assert.equal(open.body.ok, false);
    assert.deepEqual(open.body.openSlots, [{ slot: 100, address: owner.address, state: 'migrating', peerId: other.id }]);
    // A read answers from the latest observation; `refresh` looks at the nodes now.
    const stale = (await request(service.restApp).get('/v1/clusters/chk').set('authorization', AUTH)).body;
    assert.ok(stale.observed.ageSeconds >= 0);
    const status = (await request(service.restApp).get('/v1/clusters/chk?refresh=true').set('authorization', AUTH)).body.status;
    assert.equal(status.phase, 'degraded');
    assert.deepEqual(status.conditions.map((c: { type: string; status: string; reason: string }) => [c.type, c.status, c.reason]),
      [['Ready', 'False', 'OpenSlots'], ['Degraded', 'True', 'OpenSlots'], ['Reconciling', 'False', 'Idle']]);
    assert.deepEqual(status.problems, [`slot 100 is migrating on ${owner.address}`], 'the cluster view names the same trouble');
    await withNodeClient(ownerNode, (c) => c.cluster('SETSLOT', 100, 'STABLE'));

    const replica = cluster.observed.nodes.find((n: { role: string }) => n.role === 'replica');
    const replicaNode = set.nodes.find((n) => n.address === replica.address)!;
    await withNodeClient(replicaNode, (c) => c.call('SHUTDOWN', 'NOSAVE').catch(() => undefined));
    const down = await request(service.restApp).get('/v1/clusters/chk/check').set('authorization', AUTH);
    assert.equal(down.body.ok, false);
    assert.deepEqual(down.body.unreachable.map((u: { address: string }) => u.address), [replica.address]);
    assert.deepEqual(down.body.openSlots, []);
  });
});

describe('cancel', () => {
  let service: RunningService;
  before(async () => {
    // No worker: operations stay queued until cancelled.
    service = await startTestService({ roles: new Set(['rest']) });
  });
  after(async () => {
    await service.stop();
  });

  test('a queued operation is cancelled at once; again is harmless; unknown is 404', async () => {
    const created = await request(service.restApp).post('/v1/clusters').set('authorization', AUTH)
      .send({ name: 'never', nodes: ['127.0.0.1:31101', '127.0.0.1:31102', '127.0.0.1:31103'], replicasPerShard: 0 });
    assert.equal(created.body.status, 'queued');
    const cancelled = await request(service.restApp).post(`/v1/operations/${created.body.id}/cancel`).set('authorization', AUTH);
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.ok(cancelled.body.finishedAt);
    const again = await request(service.restApp).post(`/v1/operations/${created.body.id}/cancel`).set('authorization', AUTH);
    assert.equal(again.body.status, 'cancelled');
    const unknown = await request(service.restApp).post('/v1/operations/00000000-0000-0000-0000-000000000000/cancel').set('authorization', AUTH);
    assert.equal(unknown.status, 404);
  });
});
