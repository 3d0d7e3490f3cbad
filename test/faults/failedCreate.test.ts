import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { RunningService } from '../../src/startService.ts';
import { call, grpcClients, type GrpcClients } from '../helpers/grpcClient.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, withNodeClient, type RedisNode, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';

/**
 * A node's view of the cluster without the columns that change by themselves (ping sent, pong
 * received): id, address, flags, master, config epoch, link state and slots, sorted by id.
 */
async function topologyOf(node: RedisNode): Promise<string[]> {
  const text = await withNodeClient(node, (client) => client.call('CLUSTER', 'NODES')) as string;
  return text.trim().split('\n').map((line) => {
    const [id, address, flags, master, , , epoch, link, ...slots] = line.split(' ');
    return [id, address, flags, master, epoch, link, ...slots].join(' ');
  }).sort();
}

/** Issue 8, input 1: a create that failed before touching anything can be retried, and any cluster can be forgotten. */
describe('a failed create is not a dead end', () => {
  let service: RunningService;
  let clients: GrpcClients;
  let set: RedisNodeSet;
  before(async () => {
    service = await startTestService();
    clients = grpcClients(service.grpcPort!);
    set = await startRedisNodes(7);
  });
  after(async () => {
    clients.close();
    await service.stop();
    await set.stop();
  });

  const create = (body: object) => request(service.restApp).post('/v1/clusters').set('authorization', AUTH).send(body);

  test('the same create, sent again once the bad node is fixed, succeeds under the same name', async () => {
    const [a, b, c, other] = set.nodes as [typeof set.nodes[0], typeof set.nodes[0], typeof set.nodes[0], typeof set.nodes[0]];
    await withNodeClient(b, (client) => client.call('CLUSTER', 'MEET', '127.0.0.1', String(other.port)));
    const body = { name: 'x', nodes: [a.address, b.address, c.address], replicasPerShard: 0 };
    const first = await create(body);
    assert.equal(first.status, 202, first.text);
    const failed = await waitForOperation(service.restApp, first.body.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'nodes_not_fit');
    assert.match(failed.error!.detail, /nothing was changed/);

    await withNodeClient(b, (client) => client.call('CLUSTER', 'RESET', 'HARD'));
    await withNodeClient(other, (client) => client.call('CLUSTER', 'RESET', 'HARD'));
    const dry = await create({ ...body, dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    const retried = await create(body);
    assert.equal(retried.status, 202, retried.text);
    assert.notEqual(retried.body.id, first.body.id);
    assert.equal((await waitForOperation(service.restApp, retried.body.id)).status, 'succeeded');
    const cluster = await request(service.restApp).get('/v1/clusters/x').set('authorization', AUTH);
    assert.equal(cluster.body.status.phase, 'ready');
    const history = await request(service.restApp).get('/v1/operations?cluster=x').set('authorization', AUTH);
    assert.deepEqual(history.body.operations.map((o: { id: string }) => o.id), [retried.body.id], 'the failed attempt was replaced');

    // A ready cluster's name is still taken.
    const again = await create(body);
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'cluster_exists');
  });

  test('a cluster is forgotten with DELETE (nodes untouched), and its nodes can form a new one', async () => {
    const before = await topologyOf(set.nodes[0]!);
    const inUse = await create({ name: 'y', nodes: set.nodes.slice(0, 3).map((n) => n.address), replicasPerShard: 0 });
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.code, 'node_in_use');
    assert.match(inUse.body.detail, /DELETE \/v1\/clusters\/x/);

    const deleted = await request(service.restApp).delete('/v1/clusters/x').set('authorization', AUTH);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal((await request(service.restApp).get('/v1/clusters/x').set('authorization', AUTH)).status, 404);
    assert.equal((await request(service.restApp).get('/v1/operations?cluster=x').set('authorization', AUTH)).body.operations.length, 0);
    assert.deepEqual(await topologyOf(set.nodes[0]!), before, 'the nodes were not touched');
    assert.equal((await request(service.restApp).delete('/v1/clusters/x').set('authorization', AUTH)).status, 404);
  });

  test('gRPC DeleteCluster forgets a cluster; one with a queued operation is refused until it ends', async () => {
    // No worker in this process: the create stays queued, so the refusal is certain.
    const idle = await startTestService({ roles: new Set(['rest', 'grpc']) });
    const idleClients = grpcClients(idle.grpcPort!);
    try {
      const op = await call(idleClients.clusters, 'createCluster', { name: 'z', nodes: set.nodes.slice(4, 7).map((n) => n.address), replicasPerShard: 0 });
      await assert.rejects(call(idleClients.clusters, 'deleteCluster', { name: 'z' }), (err: { details: string }) => {
        assert.match(err.details, /^\[cluster_busy\]/);
        return true;
      });
      assert.equal((await call(idleClients.operations, 'cancelOperation', { id: op.id })).status, 'cancelled');
      assert.deepEqual(await call(idleClients.clusters, 'deleteCluster', { name: 'z' }), {});
      await assert.rejects(call(idleClients.clusters, 'getCluster', { name: 'z' }), /cluster_not_found/);
    } finally {
      idleClients.close();
      await idle.stop();
    }
  });
});
