import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import calculateSlot from 'cluster-key-slot';
import request from 'supertest';
import type { ClusterView } from '../../src/contract/clusterView.ts';
import type { RunningService } from '../../src/startService.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { observedMasters } from '../helpers/clusters.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, withNodeClient, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';

/** A rolling upgrade from Redis 7 to Valkey 9, half done: the cluster says so, and moves pick the engine per pair. */
describe('a cluster mixing Redis 7.0 and Valkey 9 nodes', () => {
  let service: RunningService;
  let valkey: RedisNodeSet;
  let redis: RedisNodeSet;
  let addresses: string[];
  before(async () => {
    service = await startTestService();
    [valkey, redis] = await Promise.all([startRedisNodes(2, { server: 'valkey9' }), startRedisNodes(1)]);
    addresses = [...valkey.nodes, ...redis.nodes].map((n) => n.address);
    const res = await request(service.restApp).post('/v1/clusters').set('authorization', AUTH).send({ name: 'mixed', nodes: addresses, replicasPerShard: 0 });
    assert.equal(res.status, 202, res.text);
    const op = await waitForOperation(service.restApp, res.body.id);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    assert.match(op.steps[0]!.detail!, /Valkey 9\.\d+\.\d+.*Redis 7\.0\.\d+|Redis 7\.0\.\d+.*Valkey 9\.\d+\.\d+/);
    assert.match(op.steps[0]!.detail!, /mixed versions/);
    await loadKeys(await observedMasters(service, 'mixed'), 6000, 32);
  });
  after(async () => {
    await service?.stop();
    await Promise.all([valkey?.stop(), redis?.stop()]);
  });

  test('the observed topology says the versions are mixed, and which node can migrate atomically', async () => {
    const cluster = (await request(service.restApp).get('/v1/clusters/mixed?refresh=true').set('authorization', AUTH)).body as ClusterView;
    assert.equal(cluster.observed!.mixedVersions, true);
    assert.equal(cluster.observed!.servers.length, 2);
    const byAddress = new Map(cluster.observed!.nodes.map((n) => [n.address, n.server]));
    for (const n of valkey.nodes) assert.equal(byAddress.get(n.address)?.atomicSlotMigration, 'valkey');
    assert.equal(byAddress.get(redis.nodes[0]!.address)?.atomicSlotMigration, null);
  });

  test('auto moves atomically between Valkey nodes and key by key from Redis 7 to Valkey; atomic there, or keys toward Redis 7, is a 409', async () => {
    const masters = await observedMasters(service, 'mixed');
    const [v1, v2] = valkey.nodes.map((n) => masters.find((m) => m.address === n.address)!);
    const r = masters.find((m) => m.address === redis.nodes[0]!.address)!;
    const between = await request(service.restApp).post('/v1/clusters/mixed/reshard').set('authorization', AUTH).send({ to: v2!.id, from: [v1!.id], slots: 500 });
    assert.equal(between.status, 202, between.text);
    const op = await waitForOperation(service.restApp, between.body.id);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    assert.equal(op.steps.find((s) => s.kind === 'move_slots')!.jobs?.length, 1);

    const refused = await request(service.restApp).post('/v1/clusters/mixed/reshard').set('authorization', AUTH).send({ to: r!.id, from: [v1!.id], slots: 100, migration: 'atomic' });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.code, 'atomic_migration_unsupported');
    assert.match(refused.body.detail, new RegExp(`${r!.address} runs Redis 7`));
    // Valkey 9 writes a DUMP format Redis 7.0 cannot load: refused before anything moves.
    const downgrade = await request(service.restApp).post('/v1/clusters/mixed/reshard').set('authorization', AUTH).send({ to: r!.id, from: [v1!.id], slots: 100 });
    assert.equal(downgrade.status, 409, downgrade.text);
    assert.equal(downgrade.body.code, 'dump_format_incompatible');
    // The upgrade direction works, key by key.
    const keyed = await request(service.restApp).post('/v1/clusters/mixed/reshard').set('authorization', AUTH).send({ to: v1!.id, from: [r!.id], slots: 100 });
    assert.equal(keyed.status, 202, keyed.text);
    const done = await waitForOperation(service.restApp, keyed.body.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.steps.find((s) => s.kind === 'move_slots')!.jobs, undefined);
    assert.equal(await countKeys(addresses), 6000);
    await assertClusterSettled(addresses);
  });

  test('a fix that would move keys from Valkey 9 into Redis 7 is refused, naming the upgrade; once the key is gone it fixes', async () => {
    const masters = await observedMasters(service, 'mixed');
    const r = masters.find((m) => m.address === redis.nodes[0]!.address)!;
    let key = '';
    for (let i = 0; !key; i++) if (r.slots.some(([s, e]) => s <= calculateSlot(`stray:${i}`) && calculateSlot(`stray:${i}`) <= e)) key = `stray:${i}`;
    const slot = calculateSlot(key);
    // The Valkey node holds a key of a slot the Redis 7 node serves (written, and later deleted, with ASKING while importing).
    const onValkey = (command: string[]) => withNodeClient(valkey.nodes[0]!, async (c) => {
      await c.cluster('SETSLOT', slot, 'IMPORTING', r.id);
      await c.call('ASKING');
      await c.call(command[0]!, ...command.slice(1));
      await c.cluster('SETSLOT', slot, 'STABLE');
    });
    await onValkey(['SET', key, 'x']);
    const fix = await request(service.restApp).post('/v1/clusters/mixed/fix').set('authorization', AUTH).send({ dryRun: true });
    assert.equal(fix.status, 409, fix.text);
    assert.equal(fix.body.code, 'dump_format_incompatible');
    assert.match(fix.body.detail, new RegExp(`upgrade ${r.address}`));
    await onValkey(['DEL', key]);
    const fixed = await request(service.restApp).post('/v1/clusters/mixed/fix').set('authorization', AUTH).send({ dryRun: true });
    assert.equal(fixed.status, 200, fixed.text);
  });
});
