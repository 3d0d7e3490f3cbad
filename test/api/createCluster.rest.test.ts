import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { RunningService } from '../../src/startService.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';
import { verifyClusterFromNodes } from '../helpers/verifyCluster.ts';

describe('create a cluster over REST', () => {
  let service: RunningService;
  before(async () => {
    service = await startTestService();
  });
  after(async () => {
    await service.stop();
  });

  for (const [masters, replicas] of [[3, 0], [3, 1], [5, 2]] as const) {
    test(`${masters} masters x ${replicas} replicas`, async (t) => {
      const set = await startRedisNodes(masters * (1 + replicas));
      t.after(() => set.stop());
      const name = `rest-${masters}x${replicas}`;

      const res = await request(service.restApp).post('/v1/clusters').set('authorization', AUTH)
        .send({ name, nodes: set.nodes.map((n) => n.address), replicasPerShard: replicas });
      assert.equal(res.status, 202, res.text);
      assert.equal(res.headers.location, `/v1/operations/${res.body.id}`);
      assert.equal(res.body.kind, 'create_cluster');
      assert.equal(res.body.cluster, name);
      assert.ok(['queued', 'running'].includes(res.body.status));
      assert.deepEqual(res.body.steps.map((s: { kind: string }) => s.kind), [
        'check_nodes', 'tune_nodes', 'set_config_epochs', 'assign_slots', 'meet_nodes', 'assign_replicas', 'wait_ready', 'restore_config',
      ]);
      for (const key of ['id', 'kind', 'cluster', 'status', 'steps', 'progress', 'error', 'createdAt', 'startedAt', 'finishedAt']) {
        assert.ok(key in res.body, `operation has ${key}`);
      }

      const op = await waitForOperation(service.restApp, res.body.id);
      assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
      assert.equal(op.error, null);
      assert.deepEqual({ percent: op.progress.percent, done: op.progress.stepsDone, total: op.progress.stepsTotal }, { percent: 100, done: 8, total: 8 });
      assert.ok(op.steps.every((s) => s.status === 'succeeded' && s.startedAt && s.finishedAt));
      assert.ok(op.startedAt && op.finishedAt && Date.parse(op.finishedAt) >= Date.parse(op.startedAt));

      await verifyClusterFromNodes(set.nodes, masters, replicas);

      const got = await request(service.restApp).get(`/v1/clusters/${name}`).set('authorization', AUTH);
      assert.equal(got.status, 200, got.text);
      assert.equal(got.body.status.phase, 'ready', JSON.stringify(got.body.status));
      assert.equal(got.body.spec.shards.length, masters);
      assert.equal(got.body.observed.nodes.length, set.nodes.length);
      assert.equal(got.body.observed.nodes.filter((n: { role: string }) => n.role === 'master').length, masters);
      assert.ok(got.body.observed.nodes.every((n: { id: string; linkState: string }) => /^[0-9a-f]{40}$/.test(n.id) && n.linkState === 'connected'));
      assert.equal(JSON.stringify(got.body).includes('password'), false);

      const events = await request(service.restApp).get(`/v1/operations/${op.id}/events`).set('authorization', AUTH);
      assert.equal(events.status, 200);
      const types = events.body.events.map((e: { type: string }) => e.type);
      assert.equal(types[0], 'operation_queued');
      assert.equal(types.at(-1), 'operation_succeeded');
      assert.equal(types.filter((x: string) => x === 'step_succeeded').length, 8);
    });
  }

  test('lists clusters and operations a page at a time', async () => {
    const first = await request(service.restApp).get('/v1/clusters?pageSize=2').set('authorization', AUTH);
    assert.equal(first.status, 200);
    assert.equal(first.body.clusters.length, 2);
    assert.ok(first.body.nextPageToken);
    const second = await request(service.restApp).get(`/v1/clusters?pageSize=2&pageToken=${encodeURIComponent(first.body.nextPageToken)}`).set('authorization', AUTH);
    assert.equal(second.status, 200);
    const names = [...first.body.clusters, ...second.body.clusters].map((c: { name: string }) => c.name);
    assert.deepEqual(names, ['rest-3x0', 'rest-3x1', 'rest-5x2']);
    assert.equal(second.body.nextPageToken, null);
    assert.ok(first.body.clusters.every((c: { status: { phase: string } }) => c.status.phase === 'ready'));

    const ops = await request(service.restApp).get('/v1/operations?cluster=rest-3x1').set('authorization', AUTH);
    assert.equal(ops.status, 200);
    assert.equal(ops.body.operations.length, 1);
    assert.equal(ops.body.operations[0].cluster, 'rest-3x1');
    const all = await request(service.restApp).get('/v1/operations?pageSize=1').set('authorization', AUTH);
    assert.equal(all.body.operations.length, 1);
    assert.equal(all.body.operations[0].cluster, 'rest-5x2', 'newest first');
  });

  test('a dry run shows the shards and steps, checks conflicts, and creates nothing', async () => {
    const nodes = Array.from({ length: 6 }, (_, i) => `127.0.0.1:${31201 + i}`);
    const dry = await request(service.restApp).post('/v1/clusters').set('authorization', AUTH)
      .send({ name: 'dry', nodes, replicasPerShard: 1, dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.body.dryRun, true);
    assert.equal(dry.body.shards.length, 3);
    assert.deepEqual(dry.body.shards.map((s: { slots: number[][] }) => s.slots), [[[0, 5460]], [[5461, 10922]], [[10923, 16383]]]);
    assert.equal(dry.body.steps.length, 8);
    assert.equal((await request(service.restApp).get('/v1/clusters/dry').set('authorization', AUTH)).status, 404);
    const taken = await request(service.restApp).post('/v1/clusters').set('authorization', AUTH)
      .send({ name: 'rest-3x0', nodes, replicasPerShard: 1, dryRun: true });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.code, 'cluster_exists');
  });

  test('serves /healthz and /readyz without a token', async () => {
    assert.equal((await request(service.restApp).get('/healthz')).status, 200);
    assert.equal((await request(service.restApp).get('/readyz')).status, 200);
  });
});
