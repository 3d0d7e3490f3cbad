import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { ClusterView } from '../../src/contract/clusterView.ts';
import { rangesToSlots } from '../../src/domain/slotSet.ts';
import type { RunningService } from '../../src/startService.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { createReadyCluster, observedMasters } from '../helpers/clusters.ts';
import { call, grpcClients, type GrpcClients } from '../helpers/grpcClient.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';
import { viewsOf } from '../helpers/topology.ts';

const KEYS = 3000;

/** Issue 8, input 6: a weight-0 rebalance leaves the spec matching the roles the nodes report. */
describe('a master emptied by a rebalance', () => {
  let service: RunningService;
  let clients: GrpcClients;
  let set: RedisNodeSet;
  const get = async () => (await request(service.restApp).get('/v1/clusters/w0').set('authorization', AUTH)).body as ClusterView;
  before(async () => {
    service = await startTestService();
    clients = grpcClients(service.grpcPort!);
    set = await startRedisNodes(6);
    await createReadyCluster(service, 'w0', set, 1);
    await loadKeys(await observedMasters(service, 'w0'), KEYS, 16);
  });
  after(async () => {
    clients.close();
    await service.stop();
    await set.stop();
  });

  test('leaving 2 masters is refused, saying why, over REST and gRPC; allowed, the emptied master stays a master and the spec says so', async () => {
    const third = (await observedMasters(service, 'w0'))[2]!;
    const body = { weights: { [third.id]: 0 } };
    const refused = await request(service.restApp).post('/v1/clusters/w0/rebalance').set('authorization', AUTH).send({ ...body, dryRun: true });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.code, 'too_few_masters');
    assert.match(refused.body.detail, /leaves 2 masters serving slots.*allowFewerThanThreeMasters/);
    await assert.rejects(call(clients.clusters, 'rebalance', { cluster: 'w0', ...body }), /too_few_masters/);

    const dry = await request(service.restApp).post('/v1/clusters/w0/rebalance').set('authorization', AUTH).send({ ...body, allowFewerThanThreeMasters: true, dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.match(dry.body.summary, /stays a master without slots/);
    assert.match(dry.body.summary, /fewer than 3/);
    assert.ok(dry.body.steps.some((s: { kind: string }) => s.kind === 'hold_replica_migration'));

    const res = await request(service.restApp).post('/v1/clusters/w0/rebalance').set('authorization', AUTH).send({ ...body, allowFewerThanThreeMasters: true });
    const op = await waitForOperation(service.restApp, res.body.id);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    const addresses = set.nodes.map((n) => n.address);
    await assertClusterSettled(addresses);
    assert.equal(await countKeys((await observedMasters(service, 'w0')).map((m) => m.address)), KEYS);

    // Every node still sees the emptied master as a master, with its replica.
    for (const [viewer, nodes] of await viewsOf(addresses)) {
      const seen = nodes.find((n) => n.id === third.id)!;
      assert.equal(seen.role, 'master', `${viewer} sees ${third.address} as ${seen.role}`);
      assert.equal(seen.slots.length, 0);
    }
    const cluster = await get();
    const shard = cluster.spec.shards.find((s) => s.master === third.address)!;
    assert.deepEqual(shard.slots, []);
    assert.equal(shard.replicas.length, 1);
    const specSlots = cluster.spec.shards.flatMap((s) => rangesToSlots(s.slots));
    assert.equal(new Set(specSlots).size, specSlots.length, 'no slot in two shards');
    assert.equal(specSlots.length, 16384);
    const check = await request(service.restApp).get('/v1/clusters/w0/check').set('authorization', AUTH);
    assert.equal(check.body.ok, true, JSON.stringify(check.body));
  });
});
