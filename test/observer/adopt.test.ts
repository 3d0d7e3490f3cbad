import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { RunningService } from '../../src/startService.ts';
import { eventually } from '../helpers/eventually.ts';
import { call, grpcClients } from '../helpers/grpcClient.ts';
import { startRedisNodes, withNodeClient, type RedisNode, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';
import { buildTutorialCluster } from '../helpers/tutorialCluster.ts';

/** What must not change when a cluster is adopted: each node's view without its timers (ping/pong times), and its epochs. */
async function fingerprint(nodes: readonly RedisNode[], password?: string): Promise<Record<string, unknown>> {
  const entries = await Promise.all(nodes.map(async (n) => withNodeClient(n, async (c) => {
    const view = String(await c.call('CLUSTER', 'NODES')).trim().split('\n')
      .map((line) => { const f = line.split(' '); return [f[0], f[1], f[2], f[3], f[6], ...f.slice(8)].join(' '); }).sort();
    const info = String(await c.call('CLUSTER', 'INFO'));
    const epochs = info.split('\r\n').filter((l) => /^cluster_(current_epoch|my_epoch|state|slots_assigned|known_nodes|size):/.test(l)).sort();
    return [n.address, { view, epochs, keys: await c.dbsize() }] as const;
  }, password)));
  return Object.fromEntries(entries);
}

describe('adopt and release', () => {
  let service: RunningService;
  let set: RedisNodeSet;
  before(async () => {
    service = await startTestService({ observeIntervalSeconds: 1 });
    set = await startRedisNodes(6);
    await buildTutorialCluster(set.nodes, 3);
  });
  after(async () => {
    await service.stop();
    await set.stop();
  });
  const api = {
    get: (p: string) => request(service.restApp).get(p).set('authorization', AUTH),
    post: (p: string, b: object) => request(service.restApp).post(p).set('authorization', AUTH).send(b),
    delete: (p: string) => request(service.restApp).delete(p).set('authorization', AUTH),
  };

  test('a cluster built by hand with one ADDSLOTS per slot is adopted as it is, and watched without a change', async () => {
    const before = await fingerprint(set.nodes);
    const adopted = await api.post('/v1/clusters', { name: 'tutorial', adopt: set.nodes[3]!.address, healing: { replicaMigration: true } });
    assert.equal(adopted.status, 201, adopted.text);
    assert.equal(adopted.headers.location, '/v1/clusters/tutorial');
    assert.equal(adopted.body.status.phase, 'ready');
    assert.equal(adopted.body.spec.replicasPerShard, 1);
    assert.deepEqual(adopted.body.spec.healing, { replicaMigration: true, failover: null, forgetAfterSeconds: null });
    assert.deepEqual(adopted.body.spec.nodes.slice().sort(), set.nodes.map((n) => n.address).sort());
    assert.deepEqual(adopted.body.spec.shards.map((s: { master: string; slots: number[][] }) => [s.master, s.slots]), [
      [set.nodes[0]!.address, [[0, 5460]]], [set.nodes[1]!.address, [[5461, 10921]]], [set.nodes[2]!.address, [[10922, 16383]]],
    ]);
    assert.deepEqual(adopted.body.spec.shards.map((s: { replicas: string[] }) => s.replicas.length), [1, 1, 1]);
    await eventually(async () => {
      const c = (await api.get('/v1/clusters/tutorial')).body;
      return c.status.conditions.find((x: { type: string }) => x.type === 'Ready')?.status === 'True' ? c : undefined;
    }, 15_000);
    // Watched for a few looks, and managed: a plan can be made on it.
    const events = await eventually(async () => {
      const page = (await api.get('/v1/events?cluster=tutorial')).body.events as { type: string }[];
      return page.length > 0 ? page : undefined;
    }, 5_000);
    assert.equal(events[0]!.type, 'cluster_adopted');
    assert.equal((await api.post('/v1/clusters/tutorial/rebalance', { dryRun: true })).status, 200);
    const seenAt = (await api.get('/v1/clusters/tutorial')).body.observed.observedAt;
    await eventually(async () => ((await api.get('/v1/clusters/tutorial')).body.observed.observedAt !== seenAt ? true : undefined), 10_000);
    assert.deepEqual(await fingerprint(set.nodes), before, 'CLUSTER NODES and CLUSTER INFO epochs are as they were');

    const twice = await api.post('/v1/clusters', { name: 'again', adopt: set.nodes[0]!.address });
    assert.equal(twice.status, 409);
    assert.equal(twice.body.code, 'node_in_use');
    const taken = await api.post('/v1/clusters', { name: 'tutorial', adopt: '127.0.0.1:1' });
    assert.equal(taken.status, 409);
    const bad = await api.post('/v1/clusters', { name: 'x', adopt: 'nope', nodes: [] });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.errors.some((e: { pointer: string }) => e.pointer === '/nodes'), 'adopt takes no nodes');
    const badAddress = await api.post('/v1/clusters', { name: 'x', adopt: 'nope' });
    assert.equal(badAddress.status, 400);
    assert.ok(badAddress.body.errors.some((e: { pointer: string }) => e.pointer === '/adopt'), badAddress.text);
  });

  test('release keeps the nodes as they are; release with reset and confirm empties and resets them', async () => {
    const before = await fingerprint(set.nodes);
    assert.equal((await api.delete('/v1/clusters/tutorial')).status, 204);
    assert.equal((await api.get('/v1/clusters/tutorial')).status, 404);
    assert.deepEqual(await fingerprint(set.nodes), before, 'nothing on the nodes changed');
    const released = (await api.get('/v1/events?cluster=tutorial&type=cluster_released')).body.events;
    assert.equal(released.length, 1);
    assert.match(released[0].message, /nothing on the nodes was changed/);

    // Over gRPC this time; then a reset without its confirmation is refused before anything happens.
    const clients = grpcClients(service.grpcPort!);
    try {
      const cluster = await call(clients.clusters, 'adoptCluster', { name: 'tutorial', adopt: set.nodes[0]!.address, healing: { failover: { afterSeconds: 5 } } });
      assert.equal(cluster.spec.healing.failover.afterSeconds, 5);
      await assert.rejects(call(clients.clusters, 'deleteCluster', { name: 'tutorial', reset: true }), /confirm.*repeat the cluster's name/);
    } finally {
      clients.close();
    }
    await withNodeClient(set.nodes[0]!, async (c) => {
      for (let i = 0; i < 200; i += 1) {
        const key = `k${i}`;
        const slot = Number(await c.call('CLUSTER', 'KEYSLOT', key));
        if (slot <= 5460) await c.set(key, 'v');
      }
    });
    const wrong = await api.delete('/v1/clusters/tutorial?reset=true&confirm=other');
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.errors[0].pointer, '/confirm');
    const reset = await api.delete('/v1/clusters/tutorial?reset=true&confirm=tutorial');
    assert.equal(reset.status, 204, reset.text);
    for (const n of set.nodes) {
      await withNodeClient(n, async (c) => {
        assert.equal(String(await c.call('CLUSTER', 'NODES')).trim().split('\n').length, 1, `${n.address} knows only itself`);
        assert.equal(await c.dbsize(), 0);
      });
    }
  });

  test('nodes with a password are adopted with auth, and refused without it naming the cause', async () => {
    const locked = await startRedisNodes(3, { password: 'sesame' });
    try {
      await buildTutorialCluster(locked.nodes, 3, 'sesame');
      const before = await fingerprint(locked.nodes, 'sesame');
      const refused = await api.post('/v1/clusters', { name: 'locked', adopt: locked.nodes[0]!.address });
      assert.equal(refused.status, 409, refused.text);
      assert.equal(refused.body.code, 'nodes_unreachable');
      assert.match(refused.body.detail, /NOAUTH|auth/i);
      const adopted = await api.post('/v1/clusters', { name: 'locked', adopt: locked.nodes[0]!.address, password: 'sesame' });
      assert.equal(adopted.status, 201, adopted.text);
      assert.equal(adopted.body.spec.authConfigured, true);
      assert.equal(adopted.body.spec.replicasPerShard, 0);
      assert.deepEqual(await fingerprint(locked.nodes, 'sesame'), before);
      assert.equal((await api.delete('/v1/clusters/locked')).status, 204);
    } finally {
      await locked.stop();
    }
  });
});
