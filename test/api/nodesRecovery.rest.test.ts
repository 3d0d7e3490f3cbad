import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { silentLogger } from '../../src/logger.ts';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';
import type { RunningService } from '../../src/startService.ts';
import { startWorker, type RunningWorker } from '../../src/worker/worker.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { createReadyCluster } from '../helpers/clusters.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';
import { viewsOf } from '../helpers/topology.ts';

/**
 * The desired topology changes at request time; these tests cover the ways an add can end without
 * the node joining, and check that the desired topology does not keep a node the cluster lacks.
 * The service runs without a worker so that operations stay queued until a test starts one.
 */
describe('adds that do not happen', () => {
  let service: RunningService;
  let set: RedisNodeSet;
  let worker: RunningWorker | null = null;
  let members: string[];

  const startTheWorker = () => {
    worker = startWorker({ db: service.db, workerId: 'test-worker', leaseSeconds: 15, pollIntervalMs: 50, concurrency: 1, log: silentLogger });
  };
  const stopTheWorker = async () => {
    await worker?.stop();
    worker = null;
  };
  const api = () => request(service.restApp);
  const spec = async () => (await api().get('/v1/clusters/rec').set('authorization', AUTH)).body.spec;
  const rowsOf = async () => (await service.db.prisma.node.findMany({ select: { address: true } })).map((r) => r.address).sort();

  before(async () => {
    service = await startTestService({ roles: new Set(['rest']) });
    set = await startRedisNodes(5);
    members = set.nodes.slice(0, 3).map((n) => n.address);
    startTheWorker();
    await createReadyCluster(service, 'rec', { nodes: set.nodes.slice(0, 3) } as RedisNodeSet, 0);
    await stopTheWorker();
  });
  after(async () => {
    await stopTheWorker();
    await service.stop();
    await set.stop();
  });

  test('an add cancelled before it ran leaves the node in the desired topology until it is removed; the node is never touched', async () => {
    const address = set.nodes[3]!.address;
    const id = (await viewsOf([address])).get(address)![0]!.id;
    const rowsBefore = await rowsOf();
    const queued = await api().post('/v1/clusters/rec/nodes').set('authorization', AUTH).send({ address, role: 'master' });
    assert.equal(queued.status, 202, queued.text);
    assert.ok((await spec()).nodes.includes(address), 'the desired topology has the node at once');
    const busy = await api().post('/v1/clusters/rec/nodes').set('authorization', AUTH).send({ address: set.nodes[4]!.address, role: 'master' });
    assert.equal(busy.status, 409, busy.text);
    assert.equal(busy.body.code, 'cluster_busy');
    const cancelled = await api().post(`/v1/operations/${queued.body.id}/cancel`).set('authorization', AUTH);
    assert.equal(cancelled.body.status, 'cancelled');

    const removal = await api().delete(`/v1/clusters/rec/nodes/${encodeURIComponent(address)}`).set('authorization', AUTH);
    assert.equal(removal.status, 202, removal.text);
    startTheWorker();
    const op = await waitForOperation(service.restApp, removal.body.id);
    await stopTheWorker();
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    assert.ok(!(await spec()).nodes.includes(address));
    assert.deepEqual(await rowsOf(), rowsBefore);
    const own = (await viewsOf([address])).get(address)!;
    assert.deepEqual(own.map((n) => n.id), [id], 'the node kept its id and knows no one');
    await assertClusterSettled(members);
  });

  test('an add whose node turns unfit before it runs fails on its check and takes the node out of the desired topology again', async () => {
    const address = set.nodes[4]!.address;
    const specBefore = await spec();
    const rowsBefore = await rowsOf();
    const queued = await api().post('/v1/clusters/rec/nodes').set('authorization', AUTH).send({ address, role: 'replica' });
    assert.equal(queued.status, 202, queued.text);
    const connections = new NodeConnections();
    try {
      const node = await connections.get(address);
      await node.call('CLUSTER', 'ADDSLOTS', '0');
      startTheWorker();
      const op = await waitForOperation(service.restApp, queued.body.id);
      await stopTheWorker();
      assert.equal(op.status, 'failed');
      assert.equal(op.error?.code, 'node_not_fit');
      assert.match(op.error?.detail ?? '', /already serves 1 slot/);
      const release = op.steps.find((s) => s.kind === 'release_new_node')!;
      assert.equal(release.status, 'succeeded');
      assert.match(release.detail ?? '', /taken out of the desired topology/);
      assert.deepEqual(op.steps.filter((s) => s.status === 'skipped').map((s) => s.kind), ['tune_nodes', 'meet_new_node', 'wait_known', 'replicate_nodes', 'wait_topology']);
      assert.deepEqual(await spec(), specBefore);
      assert.deepEqual(await rowsOf(), rowsBefore);
      assert.equal((await viewsOf([address])).get(address)!.length, 1, 'the node was not met');
    } finally {
      await (await connections.get(address)).call('CLUSTER', 'DELSLOTS', '0');
      await connections.closeAll();
    }
    await assertClusterSettled(members);
  });
});
