import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { RunningService } from '../../src/startService.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { eventually } from '../helpers/eventually.ts';
import { call, grpcClients } from '../helpers/grpcClient.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, withNodeClient } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';

/** Issue 8, input 7: nodes with a password and no masterauth; a failed phase that the nodes outgrow. */
describe('passwords without masterauth', () => {
  let service: RunningService;
  before(async () => {
    service = await startTestService({ createReadyTimeoutSeconds: 3 });
  });
  after(async () => service.stop());

  test('the create gives every node the password as masterauth, and the replicas sync', async (t) => {
    const set = await startRedisNodes(6, { password: 'X', omitMasterauth: true });
    t.after(() => set.stop());
    const res = await request(service.restApp).post('/v1/clusters').set('authorization', AUTH)
      .send({ name: 'pw', nodes: set.nodes.map((n) => n.address), replicasPerShard: 1, password: 'X' });
    assert.equal(res.status, 202, res.text);
    assert.ok(res.body.steps.some((s: { kind: string }) => s.kind === 'set_master_auth'));
    const op = await waitForOperation(service.restApp, res.body.id);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    await assertClusterSettled(set.nodes.map((n) => n.address), { password: 'X' });
    for (const node of set.nodes) {
      assert.deepEqual(await withNodeClient(node, (c) => c.config('GET', 'masterauth'), 'X'), ['masterauth', 'X']);
    }
  });

  test('a create that failed on a wrong masterauth names the cause, and the cluster is managed again once the nodes are fixed', async (t) => {
    // The masters start a replica's sync at once (nothing here depends on their 5 s wait for more
    // replicas, which the create lowers for itself and puts back).
    const set = await startRedisNodes(6, { password: 'X', extraConfig: { masterauth: 'wrong', 'repl-diskless-sync-delay': '0' } });
    t.after(() => set.stop());
    const clients = grpcClients(service.grpcPort!);
    t.after(() => clients.close());
    // Over gRPC this time.
    const created = await call(clients.clusters, 'createCluster', { name: 'wrongauth', nodes: set.nodes.map((n) => n.address), replicasPerShard: 1, password: 'X' });
    const op = await waitForOperation(service.restApp, created.id);
    assert.equal(op.status, 'failed');
    assert.equal(op.error?.code, 'not_ready');
    assert.ok(op.error!.nodes!.every((n) => /replication from its master 127\.0\.0\.1:\d+ is down/.test(n.reason)), JSON.stringify(op.error!.nodes));

    const refused = await request(service.restApp).post('/v1/clusters/wrongauth/rebalance').set('authorization', AUTH).send({ dryRun: true });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'cluster_not_ready');
    assert.match(refused.body.detail, /replication from its master/, 'the refusal says why');

    // The operator fixes the nodes' configuration (here at run time); the next look decides.
    for (const node of set.nodes) await withNodeClient(node, (c) => c.config('SET', 'masterauth', 'X'), 'X');
    // The replicas retry their sync by themselves.
    const status = await eventually(async () => {
      const cluster = await request(service.restApp).get('/v1/clusters/wrongauth').set('authorization', AUTH);
      return cluster.body.status.phase === 'ready' ? cluster.body.status : undefined;
    }, 30_000, 250);
    assert.deepEqual(status.problems, []);
    assert.equal((await call(clients.clusters, 'getCluster', { name: 'wrongauth' })).status.phase, 'ready');
    const plan = await request(service.restApp).post('/v1/clusters/wrongauth/rebalance').set('authorization', AUTH).send({ dryRun: true });
    assert.equal(plan.status, 200, plan.text);
  });
});
