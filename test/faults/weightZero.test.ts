import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { ClusterView } from '../../src/contract/clusterView.ts';
import type { OperationView } from '../../src/contract/operationView.ts';
import { rangesToSlots } from '../../src/domain/slotSet.ts';
import type { RunningService } from '../../src/startService.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { createReadyCluster, observedMasters } from '../helpers/clusters.ts';
import { eventually } from '../helpers/eventually.ts';
import { call, grpcClients, type GrpcClients } from '../helpers/grpcClient.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, withNodeClient, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';
import { viewsOf } from '../helpers/topology.ts';

const KEYS = 3000;
const REPLICA_MIGRATION = 'cluster-allow-replica-migration';

/** Issue 8, input 6: a weight-0 rebalance leaves the spec matching the roles the nodes report. */
describe('a master emptied by a rebalance', () => {
  let service: RunningService;
  let clients: GrpcClients;
  let set: RedisNodeSet;
  const get = async () => (await request(service.restApp).get('/v1/clusters/w0').set('authorization', AUTH)).body as ClusterView;
  const api = {
    get: (path: string) => request(service.restApp).get(path).set('authorization', AUTH),
    post: (path: string, body: object) => request(service.restApp).post(path).set('authorization', AUTH).send(body),
  };
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

  /**
   * An operation lowers settings for its duration and puts them back in a cleanup step; when that
   * step fails (its node did not let it, or did not answer then), the node keeps the lowered value
   * after the operation ended. That state must not need a hand-typed CONFIG SET: check names it,
   * fix puts it back.
   */
  test('replica migration left off on a replica of an emptied master, which refused CONFIG at the end: check names it, fix puts it back', async () => {
    const cluster = (await api.get('/v1/clusters/w0?refresh=true')).body as ClusterView;
    // Another master with slots and a replica (the test above emptied the third).
    const emptied = (await observedMasters(service, 'w0'))[1]!;
    const replica = cluster.observed!.nodes.find((n) => n.masterId === emptied.id)!;
    const replicaNode = set.nodes.find((n) => n.address === replica.address)!;
    const configOf = (name: string) => withNodeClient(replicaNode, async (c) => ((await c.call('CONFIG', 'GET', name)) as string[])[1]);
    assert.equal(await configOf(REPLICA_MIGRATION), 'yes');

    // Throttled, so that the move lasts seconds: the replica refuses CONFIG from then on, as a node
    // unreachable at the end would fail the restore.
    const queued = await api.post('/v1/clusters/w0/rebalance', { weights: { [emptied.id]: 0 }, allowFewerThanThreeMasters: true, maxKeysPerSecond: 500 });
    assert.equal(queued.status, 202, queued.text);
    await eventually(async () => {
      const op = (await api.get(`/v1/operations/${queued.body.id}`)).body as OperationView;
      if (op.status !== 'running') throw new Error(`the rebalance is ${op.status} before its move started: ${JSON.stringify(op.error)}`);
      return (op.progress.slotsMoved ?? 0) > 0 ? true : undefined;
    }, 30_000, 20);
    assert.equal(await configOf(REPLICA_MIGRATION), 'no', 'held for the move');
    await withNodeClient(replicaNode, (c) => c.call('ACL', 'SETUSER', 'default', '-config'));
    const failed = await waitForOperation(service.restApp, queued.body.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'restore_failed', JSON.stringify(failed.error));
    assert.deepEqual(failed.error?.nodes?.map((n) => n.address), [replica.address]);
    assert.equal(failed.steps.find((s) => s.kind === 'move_slots')?.status, 'succeeded');
    await withNodeClient(replicaNode, (c) => c.call('ACL', 'SETUSER', 'default', '+config'));

    const expected = [{ address: replica.address, name: REPLICA_MIGRATION, value: 'no', restoreTo: 'yes', operationId: failed.id, kind: 'rebalance' }];
    const check = await api.get('/v1/clusters/w0/check');
    assert.equal(check.status, 200, check.text);
    assert.equal(check.body.ok, false);
    assert.deepEqual(check.body.settingsLeftChanged, expected);
    assert.deepEqual(check.body.openSlots, []);
    const grpcCheck = await call<{ ok: boolean; settingsLeftChanged: unknown[] }>(clients.clusters, 'checkCluster', { name: 'w0' });
    assert.equal(grpcCheck.ok, false);
    assert.deepEqual(grpcCheck.settingsLeftChanged, expected);

    const dry = await api.post('/v1/clusters/w0/fix', { dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.body.steps[0].kind, 'restore_settings');
    assert.match(dry.body.summary, new RegExp(`put back ${REPLICA_MIGRATION}=yes on ${replica.address} \\(left no by rebalance ${failed.id}\\)`));
    const fix = await api.post('/v1/clusters/w0/fix', {});
    assert.equal(fix.status, 202, fix.text);
    const fixed = await waitForOperation(service.restApp, fix.body.id);
    assert.equal(fixed.status, 'succeeded', JSON.stringify(fixed.error));
    assert.equal(await configOf(REPLICA_MIGRATION), 'yes');
    const after = await api.get('/v1/clusters/w0/check');
    assert.equal(after.body.ok, true, JSON.stringify(after.body));
    assert.deepEqual(after.body.settingsLeftChanged, []);

    // The rebalance itself had finished: the emptied master is a master without slots, and the spec says so.
    await assertClusterSettled(set.nodes.map((n) => n.address));
    assert.equal(await countKeys((await observedMasters(service, 'w0')).map((m) => m.address)), KEYS);
    const spec = ((await api.get('/v1/clusters/w0')).body as ClusterView).spec;
    assert.deepEqual(spec.shards.find((s) => s.master === emptied.address)?.slots, []);
    // A second fix finds nothing to put back (the history still holds the failed rebalance).
    const again = await api.post('/v1/clusters/w0/fix', { dryRun: true });
    assert.ok(!again.body.steps.some((s: { kind: string }) => s.kind === 'restore_settings'), again.text);
  });
});
