import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import calculateSlot from 'cluster-key-slot';
import request from 'supertest';
import type { RunningService } from '../../src/startService.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { createReadyCluster, observedMasters } from '../helpers/clusters.ts';
import { call, grpcClients, type GrpcClients } from '../helpers/grpcClient.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, withNodeClient, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';

const KEYS = 3000;

/** Issue 8, inputs 4 and 5: slots no master serves, and a move stopped by keys both sides hold. */
describe('fix repairs what the API could not leave before', () => {
  let service: RunningService;
  let clients: GrpcClients;
  let set: RedisNodeSet;
  const post = (path: string, body: object) => request(service.restApp).post(path).set('authorization', AUTH).send(body);
  const nodeAt = (address: string) => set.nodes.find((n) => n.address === address)!;

  before(async () => {
    service = await startTestService();
    clients = grpcClients(service.grpcPort!);
    set = await startRedisNodes(3);
    await createReadyCluster(service, 'sk', set, 0);
    await loadKeys(await observedMasters(service, 'sk'), KEYS, 16);
  });
  after(async () => {
    clients.close();
    await service.stop();
    await set.stop();
  });

  test('a slot deleted on every node goes back to the master that holds its key, shown in the dry run', async () => {
    const [a] = await observedMasters(service, 'sk');
    const slot = calculateSlot('key:0');
    for (const node of set.nodes) await withNodeClient(node, (c) => c.cluster('DELSLOTS', slot));
    const check = await request(service.restApp).get('/v1/clusters/sk/check').set('authorization', AUTH);
    assert.deepEqual(check.body.uncoveredSlots, [[slot, slot]]);

    const dry = await post('/v1/clusters/sk/fix', { dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.deepEqual(dry.body.assignments.map((x: { owner: { id: string }; slots: number[][] }) => [x.owner.id, x.slots]), [[a!.id, [[slot, slot]]]]);
    assert.match(dry.body.summary, /give 1 uncovered slots/);
    const grpcDry = await call(clients.clusters, 'fixCluster', { cluster: 'sk', dryRun: true });
    assert.deepEqual(grpcDry.plan.assignments.map((x: { owner: { id: string }; slots: { start?: number; end?: number }[] }) => [x.owner.id, x.slots.map((r) => [r.start ?? 0, r.end ?? 0])]), [[a!.id, [[slot, slot]]]]);
    const res = await post('/v1/clusters/sk/fix', {});
    const op = await waitForOperation(service.restApp, res.body.id);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    await assertClusterSettled(set.nodes.map((n) => n.address));
    assert.equal(await withNodeClient(nodeAt(a!.address), (c) => c.get('key:0')), 'v'.repeat(16));
    const cluster = await request(service.restApp).get('/v1/clusters/sk').set('authorization', AUTH);
    const shard = cluster.body.spec.shards.find((s: { master: string }) => s.master === a!.address);
    assert.ok(shard.slots.some(([s, e]: number[]) => s! <= slot && slot <= e!), 'the spec has the slot again');
  });

  test('keys both sides hold stop a reshard; fix with replace finishes it, the moving copy winning (REST and gRPC)', async () => {
    const [a, b] = await observedMasters(service, 'sk');
    const key = 'key:1';
    const slot = calculateSlot(key);
    const owner = [a!, b!].find((m) => m.slots.some(([s, e]) => s <= slot && slot <= e))!;
    const other = owner === a ? b! : a!;
    await withNodeClient(nodeAt(other.address), async (c) => {
      await c.cluster('SETSLOT', slot, 'IMPORTING', owner.id);
      await c.call('ASKING');
      await c.set(key, 'the-other-copy');
      await c.cluster('SETSLOT', slot, 'STABLE');
    });
    const res = await post('/v1/clusters/sk/reshard', { moves: [{ slots: [[slot, slot]], to: other.address }] });
    const failed = await waitForOperation(service.restApp, res.body.id);
    assert.equal(failed.error?.code, 'busy_keys');
    assert.match(failed.error!.detail, /fix with \{"replace": true\}/);

    const again = await post('/v1/clusters/sk/reshard', { moves: [{ slots: [[slot, slot]], to: other.address }], replace: true });
    assert.equal(again.status, 409);
    assert.match(again.body.detail, /"replace": true/, 'the refusal names the way out that exists');

    const plain = await post('/v1/clusters/sk/fix', {});
    const plainOp = await waitForOperation(service.restApp, plain.body.id);
    assert.equal(plainOp.error?.code, 'busy_keys');
    assert.match(plainOp.error!.detail, /Send the fix again with \{"replace": true\}/);

    const dry = await call(clients.clusters, 'fixCluster', { cluster: 'sk', dryRun: true, replace: true });
    assert.match(dry.plan.summary, /the copy that moves overwrites the other/);
    const fixed = await call(clients.clusters, 'fixCluster', { cluster: 'sk', replace: true });
    assert.equal((await waitForOperation(service.restApp, fixed.operation.id)).status, 'succeeded');
    await assertClusterSettled(set.nodes.map((n) => n.address));
    // The move was finished toward `other`: the copy that moved there (the owner's) won.
    assert.equal(await withNodeClient(nodeAt(other.address), (c) => c.get(key)), 'v'.repeat(16));
    assert.equal(await countKeys(set.nodes.map((n) => n.address)), KEYS);
  });

  test('a dead master without a replica: removal is refused naming force; with force its slots are given out by fix', async () => {
    const masters = await observedMasters(service, 'sk');
    const dead = masters[2]!;
    await set.kill(nodeAt(dead.address));
    const refused = await request(service.restApp).delete(`/v1/clusters/sk/nodes/${encodeURIComponent(dead.address)}`).set('authorization', AUTH);
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.code, 'node_unreachable');
    assert.match(refused.body.detail, /force=true/);
    const forcedAlone = await request(service.restApp).delete(`/v1/clusters/sk/nodes/${encodeURIComponent(dead.address)}?force=true`).set('authorization', AUTH);
    assert.equal(forcedAlone.body.code, 'too_few_masters', 'two masters are left: that needs saying too');
    const forced = await request(service.restApp).delete(`/v1/clusters/sk/nodes/${encodeURIComponent(dead.address)}?force=true&allowFewerThanThreeMasters=true`).set('authorization', AUTH);
    assert.equal(forced.status, 202, forced.text);
    assert.match(forced.body.steps.at(-1).title, /Wait until no node knows/);
    const removal = await waitForOperation(service.restApp, forced.body.id);
    assert.equal(removal.status, 'succeeded', JSON.stringify(removal.error));

    const live = masters.slice(0, 2).map((m) => m.address);
    const dry = await post('/v1/clusters/sk/fix', { dryRun: true });
    assert.equal(dry.body.assignments.reduce((n: number, x: { slots: number[][] }) => n + x.slots.reduce((k, [s, e]) => k + e! - s! + 1, 0), 0), dead.slots.reduce((n, [s, e]) => n + e - s + 1, 0));
    const fix = await post('/v1/clusters/sk/fix', {});
    const fixed = await waitForOperation(service.restApp, fix.body.id);
    assert.equal(fixed.status, 'succeeded', JSON.stringify(fixed.error));
    await assertClusterSettled(live);
    const cluster = await request(service.restApp).get('/v1/clusters/sk?refresh=true').set('authorization', AUTH);
    assert.equal(cluster.body.status.phase, 'ready', JSON.stringify(cluster.body.status));
  });
});

/** Issue 8, "also": a key that needs a longer MIGRATE timeout names migrateTimeoutMs, and a fix with it finishes the move. */
describe('migrateTimeoutMs', () => {
  let service: RunningService;
  let set: RedisNodeSet;
  before(async () => {
    service = await startTestService();
    set = await startRedisNodes(3);
    await createReadyCluster(service, 'mt', set, 0);
    await loadKeys(await observedMasters(service, 'mt'), 500, 16);
  });
  after(async () => {
    await service.stop();
    await set.stop();
  });

  test('a target that cannot take a key within the timeout fails key_too_big naming the option; fix with a longer one finishes', async () => {
    const [a, b] = await observedMasters(service, 'mt');
    const slot = calculateSlot('key:2');
    const from = [a!, b!].find((m) => m.slots.some(([s, e]) => s <= slot && slot <= e))!;
    const to = from === a ? b! : a!;
    const target = set.nodes.find((n) => n.address === to.address)!;
    // The target holds back writes (RESTORE-ASKING among them) longer than the MIGRATE timeout.
    await withNodeClient(target, (c) => c.call('CLIENT', 'PAUSE', '3000', 'WRITE'));
    const res = await request(service.restApp).post('/v1/clusters/mt/reshard').set('authorization', AUTH)
      .send({ moves: [{ slots: [[slot, slot]], to: to.address }], migrateTimeoutMs: 100 });
    assert.equal(res.status, 202, res.text);
    const failed = await waitForOperation(service.restApp, res.body.id);
    assert.equal(failed.error?.code, 'key_too_big', JSON.stringify(failed.error));
    assert.match(failed.error!.detail, /within the MIGRATE timeout of 100 ms/);
    assert.match(failed.error!.detail, /"migrateTimeoutMs": 1000/);
    await withNodeClient(target, (c) => c.call('CLIENT', 'UNPAUSE'));

    const bad = await request(service.restApp).post('/v1/clusters/mt/fix').set('authorization', AUTH).send({ migrateTimeoutMs: 10 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].pointer, '/migrateTimeoutMs');
    const fix = await request(service.restApp).post('/v1/clusters/mt/fix').set('authorization', AUTH).send({ migrateTimeoutMs: 10_000 });
    assert.equal((await waitForOperation(service.restApp, fix.body.id)).status, 'succeeded');
    await assertClusterSettled(set.nodes.map((n) => n.address));
    assert.equal(await withNodeClient(target, (c) => c.get('key:2')), 'v'.repeat(16));
  });
});

/** Issue 8, "also": keys out of place are reported and fixed, and failed masters' slots are counted as down. */
describe('status names what the nodes hide', () => {
  let service: RunningService;
  let set: RedisNodeSet;
  before(async () => {
    service = await startTestService();
    set = await startRedisNodes(3);
    await createReadyCluster(service, 'st', set, 0);
    await loadKeys(await observedMasters(service, 'st'), 300, 16);
  });
  after(async () => {
    await service.stop();
    await set.stop();
  });

  test('a key a master holds in a slot it does not serve is reported by check, and fix moves it to the slot\'s master', async () => {
    const [a, b] = await observedMasters(service, 'st');
    const slot = calculateSlot('stray-key');
    const owner = [a!, b!].find((m) => m.slots.some(([s, e]) => s <= slot && slot <= e)) ?? a!;
    const other = owner === a ? b! : a!;
    await withNodeClient(set.nodes.find((n) => n.address === other.address)!, async (c) => {
      await c.cluster('SETSLOT', slot, 'IMPORTING', owner.id);
      await c.call('ASKING');
      await c.set('stray-key', 'lost');
      await c.cluster('SETSLOT', slot, 'STABLE');
    });
    const check = await request(service.restApp).get('/v1/clusters/st/check').set('authorization', AUTH);
    assert.equal(check.body.ok, false);
    assert.deepEqual(check.body.strayKeys, [{ address: other.address, slots: [[slot, slot]], keys: 1 }]);
    const dry = await request(service.restApp).post('/v1/clusters/st/fix').set('authorization', AUTH).send({ dryRun: true });
    assert.match(dry.body.summary, /move the stray keys of 1 slots/);
    const fix = await request(service.restApp).post('/v1/clusters/st/fix').set('authorization', AUTH).send({});
    assert.equal((await waitForOperation(service.restApp, fix.body.id)).status, 'succeeded');
    assert.equal(await withNodeClient(set.nodes.find((n) => n.address === owner.address)!, (c) => c.get('stray-key')), 'lost');
    const after = await request(service.restApp).get('/v1/clusters/st/check').set('authorization', AUTH);
    assert.deepEqual(after.body.strayKeys, []);
  });

  test('a dead master\'s slots are counted as down in the cluster\'s status', async () => {
    const [, , c] = await observedMasters(service, 'st');
    await set.kill(set.nodes.find((n) => n.address === c!.address)!);
    const cluster = await request(service.restApp).get('/v1/clusters/st?refresh=true').set('authorization', AUTH);
    assert.equal(cluster.body.status.phase, 'degraded');
    const slots = c!.slots.reduce((n, [s, e]) => n + e - s + 1, 0);
    assert.ok(cluster.body.status.problems.some((p: string) => p === `${slots} slots are down: their master ${c!.address} is unreachable and no replica took over`), JSON.stringify(cluster.body.status.problems));
  });
});
