import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { ClusterView } from '../../src/contract/clusterView.ts';
import type { RunningService } from '../../src/startService.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { call, grpcClients, type GrpcClients } from '../helpers/grpcClient.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, type RedisNode, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';
import { viewsOf } from '../helpers/topology.ts';

/** The host name the cluster is created with, while the nodes announce 127.0.0.1. */
const named = (n: RedisNode): string => `localhost:${n.port}`;

/**
 * Issue 8, inputs 2 and 3: a cluster created with host names is changed with the same names, and
 * a dead node, however the cluster holds it, can be removed.
 */
describe('names the cluster was created with, and dead nodes', () => {
  let service: RunningService;
  let clients: GrpcClients;
  let set: RedisNodeSet;
  const api = () => request(service.restApp);
  const get = async () => (await api().get('/v1/clusters/named').set('authorization', AUTH)).body as ClusterView;

  before(async () => {
    service = await startTestService();
    clients = grpcClients(service.grpcPort!);
    set = await startRedisNodes(6);
    const res = await api().post('/v1/clusters').set('authorization', AUTH).send({ name: 'named', nodes: set.nodes.map(named), replicasPerShard: 1 });
    assert.equal(res.status, 202, res.text);
    assert.equal((await waitForOperation(service.restApp, res.body.id)).status, 'succeeded');
  });
  after(async () => {
    clients.close();
    await service.stop();
    await set.stop();
  });

  test('reshard, rebalance weights and explicit moves take the names of the spec, as add/remove/failover do', async () => {
    const [m1, m2] = (await get()).spec.shards.map((s) => s.master) as [string, string];
    const reshard = await api().post('/v1/clusters/named/reshard').set('authorization', AUTH).send({ to: m2, from: [m1], slots: 1, dryRun: true });
    assert.equal(reshard.status, 200, reshard.text);
    assert.deepEqual(reshard.body.moves.map((m: { from: { address: string }; to: { address: string } }) => [m.from.address, m.to.address]), [[m1, m2]]);
    const moves = await api().post('/v1/clusters/named/reshard').set('authorization', AUTH).send({ moves: [{ slots: [[0, 0]], to: m2 }], dryRun: true });
    assert.equal(moves.status, 200, moves.text);
    const weights = await api().post('/v1/clusters/named/rebalance').set('authorization', AUTH).send({ weights: { [m1]: 2 }, dryRun: true });
    assert.equal(weights.status, 200, weights.text);
    assert.ok(weights.body.moves.every((m: { to: { address: string } }) => m.to.address === m1));
    const grpc = await call(clients.clusters, 'reshard', { cluster: 'named', to: m2, from: [m1], slots: 1, dryRun: true });
    assert.equal(grpc.plan.slotsTotal, 1);
    const unknown = await api().post('/v1/clusters/named/reshard').set('authorization', AUTH).send({ to: 'localhost:1', slots: 1, dryRun: true });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.errors[0].pointer, '/to');
  });

  test('a replica that is down is removed by the name in the spec: forgotten by every live node, and out of the spec', async () => {
    const spec = (await get()).spec;
    const victim = spec.shards[0]!.replicas[0]!;
    const node = set.nodes.find((n) => named(n) === victim)!;
    const id = (await viewsOf([node.address])).get(node.address)!.find((n) => n.myself)!.id;
    await set.kill(node);
    const res = await api().delete(`/v1/clusters/named/nodes/${encodeURIComponent(victim)}`).set('authorization', AUTH);
    assert.equal(res.status, 202, res.text);
    const op = await waitForOperation(service.restApp, res.body.id);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    const after = await get();
    assert.ok(!after.spec.nodes.includes(victim));
    const live = set.nodes.filter((n) => n !== node).map((n) => n.address);
    for (const [viewer, nodes] of await viewsOf(live)) assert.ok(!nodes.some((n) => n.id === id), `${viewer} still knows ${victim}`);
    // Later changes are not refused because of it.
    const plan = await api().post('/v1/clusters/named/rebalance').set('authorization', AUTH).send({ dryRun: true });
    assert.equal(plan.status, 200, plan.text);
  });

  test('a node known only by its old id (its address came back as a new node) is removed by that id, and the new node can be added', async () => {
    const spec = (await get()).spec;
    const victim = spec.shards[1]!.replicas[0]!;
    const node = set.nodes.find((n) => named(n) === victim)!;
    const oldId = (await viewsOf([node.address])).get(node.address)!.find((n) => n.myself)!.id;
    await set.restart(node, { freshIdentity: true });
    const others = spec.nodes.filter((a) => a !== victim).map((a) => set.nodes.find((n) => named(n) === a)!.address);
    // Over gRPC this time.
    const res = await call(clients.clusters, 'removeNode', { cluster: 'named', node: oldId });
    assert.doesNotMatch(res.operation.steps.find((s: { kind: string }) => s.kind === 'forget_node').title, /reset/, 'the new node at the old address is not reset');
    const op = await waitForOperation(service.restApp, res.operation.id);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    for (const [viewer, nodes] of await viewsOf(others)) assert.ok(!nodes.some((n) => n.id === oldId), `${viewer} still knows the old id`);
    assert.ok(!(await get()).spec.nodes.includes(victim));

    const added = await api().post('/v1/clusters/named/nodes').set('authorization', AUTH).send({ address: victim, role: 'replica' });
    assert.equal(added.status, 202, added.text);
    assert.equal((await waitForOperation(service.restApp, added.body.id)).status, 'succeeded');
    await assertClusterSettled(others);
  });
});
