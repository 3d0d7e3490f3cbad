import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { ClusterView } from '../../src/contract/clusterView.ts';
import type { RunningService } from '../../src/startService.ts';
import { createReadyCluster } from '../helpers/clusters.ts';
import { call, grpcClients } from '../helpers/grpcClient.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';

/** Issue 8, input 8: a FORCE failover that no majority can authorise is refused at once, naming TAKEOVER. */
describe('refusals name the cause', () => {
  let service: RunningService;
  let set: RedisNodeSet;
  before(async () => {
    service = await startTestService();
    set = await startRedisNodes(6);
    await createReadyCluster(service, 'fm', set, 1);
  });
  after(async () => {
    await service.stop();
    await set.stop();
  });

  test('with 2 of 3 masters down, FORCE is refused (no_majority) and TAKEOVER promotes the replica', async () => {
    const cluster = (await request(service.restApp).get('/v1/clusters/fm').set('authorization', AUTH)).body as ClusterView;
    const [a, b] = cluster.spec.shards as [ClusterView['spec']['shards'][0], ClusterView['spec']['shards'][0]];
    for (const address of [a.master, b.master]) await set.kill(set.nodes.find((n) => n.address === address)!);
    const replica = a.replicas[0]!;

    const forced = await request(service.restApp).post('/v1/clusters/fm/failover').set('authorization', AUTH).send({ replica, mode: 'force', dryRun: true });
    assert.equal(forced.status, 409, forced.text);
    assert.equal(forced.body.code, 'no_majority');
    assert.match(forced.body.detail, /needs the votes of 2 of the 3 masters/);
    assert.match(forced.body.detail, /"takeover"/);
    const clients = grpcClients(service.grpcPort!);
    try {
      await assert.rejects(call(clients.clusters, 'failover', { cluster: 'fm', replica, mode: 'force' }), (err: { code: number; details: string }) => {
        assert.equal(err.code, 9);
        assert.match(err.details, /^\[no_majority\]/);
        return true;
      });
    } finally {
      clients.close();
    }

    const takeover = await request(service.restApp).post('/v1/clusters/fm/failover').set('authorization', AUTH).send({ replica, mode: 'takeover' });
    assert.equal(takeover.status, 202, takeover.text);
    const op = await waitForOperation(service.restApp, takeover.body.id);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    const after = (await request(service.restApp).get('/v1/clusters/fm').set('authorization', AUTH)).body as ClusterView;
    assert.ok(after.observed!.nodes.some((n) => n.role === 'master' && n.slots.length > 0 && after.spec.shards.some((s) => s.master === replica)));
  });
});
