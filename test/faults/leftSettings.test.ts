import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { ClusterView } from '../../src/contract/clusterView.ts';
import type { OperationView } from '../../src/contract/operationView.ts';
import type { RunningService } from '../../src/startService.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { createReadyCluster, observedMasters } from '../helpers/clusters.ts';
import { eventually } from '../helpers/eventually.ts';
import { call, grpcClients, type GrpcClients } from '../helpers/grpcClient.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, withNodeClient, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';

const KEYS = 6000;
const REPLICA_MIGRATION = 'cluster-allow-replica-migration';

/**
 * An operation lowers settings for its duration and puts them back in a cleanup step; when that
 * step fails (its node did not let it, or did not answer then), the node keeps the lowered value
 * after the operation ended. That state must not need a hand-typed CONFIG SET: check names it,
 * fix puts it back.
 */
describe('a setting an operation could not put back', () => {
  let service: RunningService;
  let clients: GrpcClients;
  let set: RedisNodeSet;
  const api = {
    get: (path: string) => request(service.restApp).get(path).set('authorization', AUTH),
    post: (path: string, body: unknown) => request(service.restApp).post(path).set('authorization', AUTH).send(body as object),
  };
  before(async () => {
    service = await startTestService();
    clients = grpcClients(service.grpcPort!);
    set = await startRedisNodes(6);
    await createReadyCluster(service, 'left', set, 1);
    await loadKeys(await observedMasters(service, 'left'), KEYS, 16);
  });
  after(async () => {
    clients.close();
    await service.stop();
    await set.stop();
  });

  test('replica migration left off on a replica of an emptied master: check names it, fix puts it back', async () => {
    const cluster = (await api.get('/v1/clusters/left?refresh=true')).body as ClusterView;
    const emptied = (await observedMasters(service, 'left'))[2]!;
    const replica = cluster.observed!.nodes.find((n) => n.masterId === emptied.id)!;
    const replicaNode = set.nodes.find((n) => n.address === replica.address)!;
    const configOf = (name: string) => withNodeClient(replicaNode, async (c) => ((await c.call('CONFIG', 'GET', name)) as string[])[1]);
    assert.equal(await configOf(REPLICA_MIGRATION), 'yes');

    // Throttled, so that the move lasts seconds: the replica refuses CONFIG from then on, as a node
    // unreachable at the end would fail the restore.
    const queued = await api.post('/v1/clusters/left/rebalance', { weights: { [emptied.id]: 0 }, allowFewerThanThreeMasters: true, maxKeysPerSecond: 1500 });
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
    const check = await api.get('/v1/clusters/left/check');
    assert.equal(check.status, 200, check.text);
    assert.equal(check.body.ok, false);
    assert.deepEqual(check.body.settingsLeftChanged, expected);
    assert.deepEqual(check.body.openSlots, []);
    const grpcCheck = await call<{ ok: boolean; settingsLeftChanged: unknown[] }>(clients.clusters, 'checkCluster', { name: 'left' });
    assert.equal(grpcCheck.ok, false);
    assert.deepEqual(grpcCheck.settingsLeftChanged, expected);

    const dry = await api.post('/v1/clusters/left/fix', { dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.body.steps[0].kind, 'restore_settings');
    assert.match(dry.body.summary, new RegExp(`put back ${REPLICA_MIGRATION}=yes on ${replica.address} \\(left no by rebalance ${failed.id}\\)`));
    const fix = await api.post('/v1/clusters/left/fix', {});
    assert.equal(fix.status, 202, fix.text);
    const fixed = await waitForOperation(service.restApp, fix.body.id);
    assert.equal(fixed.status, 'succeeded', JSON.stringify(fixed.error));
    assert.equal(await configOf(REPLICA_MIGRATION), 'yes');
    const after = await api.get('/v1/clusters/left/check');
    assert.equal(after.body.ok, true, JSON.stringify(after.body));
    assert.deepEqual(after.body.settingsLeftChanged, []);

    // The rebalance itself had finished: the emptied master is a master without slots, and the spec says so.
    await assertClusterSettled(set.nodes.map((n) => n.address));
    assert.equal(await countKeys((await observedMasters(service, 'left')).map((m) => m.address)), KEYS);
    const spec = ((await api.get('/v1/clusters/left')).body as ClusterView).spec;
    assert.deepEqual(spec.shards.find((s) => s.master === emptied.address)?.slots, []);
    // A second fix finds nothing to put back (the history still holds the failed rebalance).
    const again = await api.post('/v1/clusters/left/fix', { dryRun: true });
    assert.ok(!again.body.steps.some((s: { kind: string }) => s.kind === 'restore_settings'), again.text);
  });
});
