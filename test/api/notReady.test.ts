import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { RunningService } from '../../src/startService.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, withNodeClient } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';

describe('a cluster that cannot converge fails after the timeout, naming the nodes', () => {
  let service: RunningService;
  before(async () => {
    service = await startTestService({ createReadyTimeoutSeconds: 2 });
  });
  after(async () => {
    await service.stop();
  });

  test('replicas that cannot authenticate to their masters never sync', async (t) => {
    // Every node wants a password, and slotsmith is given it, but each node's masterauth is wrong:
    // the cluster forms, yet no replica can ever sync.
    const set = await startRedisNodes(6, { password: 'secret', extraConfig: { masterauth: 'wrong' } });
    t.after(() => set.stop());
    const res = await request(service.restApp).post('/v1/clusters').set('authorization', AUTH)
      .send({ name: 'stuck', nodes: set.nodes.map((n) => n.address), replicasPerShard: 1, password: 'secret' });
    assert.equal(res.status, 202, res.text);
    const op = await waitForOperation(service.restApp, res.body.id);
    assert.equal(op.status, 'failed');
    assert.equal(op.error?.code, 'not_ready');
    assert.match(op.error!.detail, /within 2 s/);
    const cluster = await request(service.restApp).get('/v1/clusters/stuck').set('authorization', AUTH);
    const replicas = cluster.body.spec.shards.flatMap((s: { replicas: string[] }) => s.replicas).sort();
    const blamed = (op.error?.nodes ?? []).map((n) => n.address).sort();
    assert.deepEqual(blamed, replicas, 'exactly the replicas are named');
    assert.ok(op.error!.nodes!.every((n) => /master_link_status/.test(n.reason)), JSON.stringify(op.error!.nodes));
    assert.equal(cluster.body.status.phase, 'failed');
    assert.equal(JSON.stringify(cluster.body).includes('secret'), false, 'the password is never returned');

    const restore = op.steps.find((s) => s.kind === 'restore_config')!;
    assert.equal(restore.status, 'succeeded', 'cleanup runs after a failure');
    for (const node of set.nodes) {
      await withNodeClient(node, async (client) => {
        assert.deepEqual(await client.config('GET', 'cluster-node-timeout'), ['cluster-node-timeout', '15000']);
        assert.deepEqual(await client.config('GET', 'repl-diskless-sync-delay'), ['repl-diskless-sync-delay', '5']);
      }, 'secret');
    }
  });
});
