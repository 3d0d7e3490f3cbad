import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import request from 'supertest';
import type { RunningService } from '../../src/startService.ts';
import { createReadyCluster, observedMasters } from '../helpers/clusters.ts';
import { call, grpcClients, type GrpcClients } from '../helpers/grpcClient.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, withNodeClient, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';

const LIBRARY = "#!lua name=greet\nredis.register_function('greet', function(keys) return 'hello ' .. keys[1] end)";
const OTHER = "#!lua name=other\nredis.register_function('other', function() return 1 end)";

/** Issue 8, input 9 (and redis-cli's own `cli.tcl`): a new master gets the cluster's functions. */
describe('function libraries follow the slots', () => {
  let service: RunningService;
  let clients: GrpcClients;
  let set: RedisNodeSet;
  const post = (path: string, body: object) => request(service.restApp).post(path).set('authorization', AUTH).send(body);
  before(async () => {
    service = await startTestService();
    clients = grpcClients(service.grpcPort!);
    set = await startRedisNodes(5);
    await createReadyCluster(service, 'fn', { nodes: set.nodes.slice(0, 3) } as RedisNodeSet, 0);
    for (const node of set.nodes.slice(0, 3)) await withNodeClient(node, (c) => c.call('FUNCTION', 'LOAD', LIBRARY));
  });
  after(async () => {
    clients.close();
    await service.stop();
    await set.stop();
  });

  test('a master added and given slots by a rebalance answers FCALL on the keys of its slots', async () => {
    const spare = set.nodes[3]!;
    const added = await post('/v1/clusters/fn/nodes', { address: spare.address, role: 'master' });
    assert.equal(added.status, 202, added.text);
    assert.equal((await waitForOperation(service.restApp, added.body.id)).status, 'succeeded');
    const rebalance = await post('/v1/clusters/fn/rebalance', { useEmptyMasters: true });
    assert.equal((await waitForOperation(service.restApp, rebalance.body.id)).status, 'succeeded');

    const mine = (await observedMasters(service, 'fn')).find((m) => m.address === spare.address)!;
    const [start] = mine.slots[0]!;
    let key = '';
    for (let i = 0; ; i++) {
      if (calculateSlot(`k${i}`) >= start && calculateSlot(`k${i}`) <= mine.slots[0]![1]) {
        key = `k${i}`;
        break;
      }
    }
    const cluster = new Cluster([{ host: spare.host, port: spare.port }], { enableReadyCheck: true });
    try {
      assert.equal(await cluster.call('FCALL', 'greet', 1, key), `hello ${key}`);
    } finally {
      cluster.disconnect();
    }
    const check = await request(service.restApp).get('/v1/clusters/fn/check').set('authorization', AUTH);
    assert.deepEqual(check.body.functionDrift, []);
  });

  test('a node holding other functions is refused as a master; drift is reported by check, over REST and gRPC', async () => {
    const other = set.nodes[4]!;
    await withNodeClient(other, (c) => c.call('FUNCTION', 'LOAD', OTHER));
    const refused = await post('/v1/clusters/fn/nodes', { address: other.address, role: 'master' });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.code, 'node_not_fit');
    assert.match(refused.body.detail, /function libraries other, which differ from the cluster's \(greet\)/);
    await assert.rejects(call(clients.clusters, 'addNode', { cluster: 'fn', address: other.address, role: 'master' }), /node_not_fit/);

    const [first] = await observedMasters(service, 'fn');
    await withNodeClient(set.nodes.find((n) => n.address === first!.address)!, (c) => c.call('FUNCTION', 'LOAD', OTHER));
    const check = await request(service.restApp).get('/v1/clusters/fn/check').set('authorization', AUTH);
    assert.equal(check.body.ok, false);
    assert.deepEqual(check.body.functionDrift, [{ address: first!.address, libraries: ['greet', 'other'] }]);
    const grpc = await call(clients.clusters, 'checkCluster', { name: 'fn' });
    assert.deepEqual(grpc.functionDrift, [{ address: first!.address, libraries: ['greet', 'other'] }]);
  });
});
