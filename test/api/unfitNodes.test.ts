import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { RunningService } from '../../src/startService.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, withNodeClient, type RedisNode } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await delay(20);
  }
}

/** What a node looks like from outside; equal before and after means the node was not touched. */
async function fingerprint(node: RedisNode): Promise<string> {
  return withNodeClient(node, async (client) => {
    const mode = (await client.info('cluster')).includes('cluster_enabled:1');
    const parts: unknown[] = [mode, await client.dbsize(), await client.config('GET', 'cluster-node-timeout'), await client.config('GET', 'repl-diskless-sync-delay')];
    if (mode) {
      const info = (await client.cluster('INFO')) as string;
      parts.push(((await client.cluster('NODES')) as string).split('\n').filter(Boolean).length, /cluster_current_epoch:\d+/.exec(info)?.[0], /cluster_slots_assigned:\d+/.exec(info)?.[0]);
    }
    return JSON.stringify(parts);
  });
}

describe('a node that is not fit fails the create before anything changes', () => {
  let service: RunningService;
  before(async () => {
    service = await startTestService();
  });
  after(async () => {
    await service.stop();
  });

  test('one node not in cluster mode, one holding keys', async (t) => {
    const good = await startRedisNodes(4);
    const keyed = await startRedisNodes(1, { extraConfig: { 'cluster-require-full-coverage': 'no' } });
    const plain = await startRedisNodes(1, { clusterEnabled: false });
    t.after(() => Promise.all([good.stop(), keyed.stop(), plain.stop()]));
    const withKeys = keyed.nodes[0]!;
    // A cluster-mode node only takes writes for its own slots: serve the slot, write, then give it up.
    // The keys stay, the node serves nothing and knows only itself: its one flaw is the keys.
    const seed = new Redis({ host: withKeys.host, port: withKeys.port, lazyConnect: true, retryStrategy: () => null });
    try {
      await seed.connect();
      const slot = Number(await seed.cluster('KEYSLOT', '{a}'));
      await seed.cluster('ADDSLOTS', slot);
      await waitFor(async () => (await seed.cluster('INFO') as string).includes('cluster_state:ok'));
      await seed.set('{a}k1', 'v');
      await seed.set('{a}k2', 'v');
      await seed.cluster('DELSLOTS', slot);
    } finally {
      seed.disconnect();
    }
    const nodes = [...good.nodes, withKeys, plain.nodes[0]!];
    const before = await Promise.all(nodes.map(fingerprint));

    const res = await request(service.restApp).post('/v1/clusters').set('authorization', AUTH)
      .send({ name: 'unfit', nodes: nodes.map((n) => n.address), replicasPerShard: 1 });
    assert.equal(res.status, 202, res.text);
    const op = await waitForOperation(service.restApp, res.body.id);
    assert.equal(op.status, 'failed');
    assert.equal(op.error?.code, 'nodes_not_fit');
    const blamed = new Map((op.error?.nodes ?? []).map((n) => [n.address, n.reason]));
    assert.deepEqual([...blamed.keys()].sort(), [withKeys.address, plain.nodes[0]!.address].sort());
    assert.match(blamed.get(withKeys.address)!, /2 keys/);
    assert.match(blamed.get(plain.nodes[0]!.address)!, /cluster mode/);
    assert.match(op.error!.detail, new RegExp(plain.nodes[0]!.address.replace('.', '\\.')));
    assert.equal(op.steps[0]!.status, 'failed');
    assert.ok(op.steps.slice(1, -1).every((s) => s.status === 'skipped'));

    assert.deepEqual(await Promise.all(nodes.map(fingerprint)), before, 'no node was changed');
    const got = await request(service.restApp).get('/v1/clusters/unfit').set('authorization', AUTH);
    assert.equal(got.body.status.phase, 'failed');
  });

  test('an unreachable node is named with its reason', async (t) => {
    const good = await startRedisNodes(2);
    t.after(() => good.stop());
    const res = await request(service.restApp).post('/v1/clusters').set('authorization', AUTH)
      .send({ name: 'unreachable', nodes: [...good.nodes.map((n) => n.address), '127.0.0.1:1'], replicasPerShard: 0 });
    assert.equal(res.status, 202, res.text);
    const op = await waitForOperation(service.restApp, res.body.id);
    assert.equal(op.status, 'failed');
    assert.equal(op.error?.nodes?.length, 1);
    assert.equal(op.error?.nodes?.[0]?.address, '127.0.0.1:1');
    assert.match(op.error!.nodes![0]!.reason, /unreachable|refused/i);
  });
});
