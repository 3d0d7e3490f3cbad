import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';
import type { RunningService } from '../../src/startService.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { createReadyCluster, observedMasters, slotCount } from '../helpers/clusters.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';
import { assertForgottenAndReset, assertRoleEverywhere, topologySnapshot, viewsOf } from '../helpers/topology.ts';

const KEYS = 20_000;

/**
 * One cluster of 3 masters x 1 replica with keys, changed step by step: each test starts from
 * where the previous one left it (the order is the story: grow, move, fail over, shrink).
 */
describe('topology changes over REST', () => {
  let service: RunningService;
  let set: RedisNodeSet;
  let other: RedisNodeSet;
  let standalone: RedisNodeSet;
  /** The cluster's nodes now (grows and shrinks with the tests). */
  let members: string[];
  let spare: string[];

  before(async () => {
    service = await startTestService();
    [set, other, standalone] = await Promise.all([startRedisNodes(9), startRedisNodes(3), startRedisNodes(1, { clusterEnabled: false })]);
    const base = { nodes: set.nodes.slice(0, 6) } as RedisNodeSet;
    await Promise.all([createReadyCluster(service, 'topo', base, 1), createReadyCluster(service, 'other', other, 0)]);
    members = base.nodes.map((n) => n.address);
    spare = set.nodes.slice(6).map((n) => n.address);
    await loadKeys(await observedMasters(service, 'topo'), KEYS, 32);
  });
  after(async () => {
    await service.stop();
    await Promise.all([set.stop(), other.stop(), standalone.stop()]);
  });

  const api = () => request(service.restApp);
  const post = (path: string, body: object) => api().post(path).set('authorization', AUTH).send(body);
  const del = (path: string) => api().delete(path).set('authorization', AUTH);
  const operationCount = async () => (await api().get('/v1/operations?cluster=topo&pageSize=500').set('authorization', AUTH)).body.operations.length;
  const keysNow = async () => countKeys((await observedMasters(service, 'topo')).map((m) => m.address));
  const nodeIdOf = async (address: string) => (await viewsOf([address])).get(address)!.find((n) => n.myself)!.id;
  /** Every node runs with its own settings again: nothing tuned or held for a change was left behind. */
  const assertConfigRestored = async (addresses: readonly string[]) => {
    const connections = new NodeConnections();
    try {
      for (const address of addresses) {
        const reply = await (await connections.get(address)).call('CONFIG', 'GET', 'cluster-node-timeout', 'cluster-allow-replica-migration', 'repl-diskless-sync-delay') as string[];
        const config = Object.fromEntries([[reply[0], reply[1]], [reply[2], reply[3]], [reply[4], reply[5]]]);
        assert.deepEqual(config, { 'cluster-node-timeout': '15000', 'cluster-allow-replica-migration': 'yes', 'repl-diskless-sync-delay': '5' }, address);
      }
    } finally {
      await connections.closeAll();
    }
  };
  const run = async (res: request.Response) => {
    assert.equal(res.status, 202, res.text);
    assert.equal(res.headers.location, `/v1/operations/${res.body.id}`);
    const op = await waitForOperation(service.restApp, res.body.id, 120_000);
    assert.equal(op.status, 'succeeded', JSON.stringify({ error: op.error, steps: op.steps.map((s) => `${s.id} ${s.status} ${s.detail}`) }));
    return op;
  };

  test('bad input gets a 4xx with a stable code and changes nothing', async () => {
    const masters = await observedMasters(service, 'topo');
    const views = await viewsOf(members);
    const replica = views.get(members[0]!)!.find((n) => n.role === 'replica')!;
    const snapshot = await topologySnapshot(members);
    const ops = await operationCount();

    const cases: [string, () => request.Test, number, string, string?][] = [
      ['add: unknown master', () => post('/v1/clusters/topo/nodes', { address: spare[0]!, role: 'replica', master: '127.0.0.1:1' }), 400, 'invalid_node', '/master'],
      ['add: a replica as master', () => post('/v1/clusters/topo/nodes', { address: spare[0]!, role: 'replica', master: replica.address }), 400, 'not_a_master', '/master'],
      ['add: a master with a master', () => post('/v1/clusters/topo/nodes', { address: spare[0]!, role: 'master', master: masters[0]!.id }), 400, 'invalid_argument', '/master'],
      ['add: bad address', () => post('/v1/clusters/topo/nodes', { address: 'nope', role: 'master' }), 400, 'invalid_argument', '/address'],
      ['add: bad role', () => post('/v1/clusters/topo/nodes', { address: spare[0]!, role: 'primary' }), 400, 'invalid_argument', '/role'],
      ['add: a member again', () => post('/v1/clusters/topo/nodes', { address: members[1]!, role: 'master' }), 409, 'node_exists'],
      ['add: a node of another cluster', () => post('/v1/clusters/topo/nodes', { address: other.nodes[0]!.address, role: 'master' }), 409, 'node_in_use'],
      ['add: a node not in cluster mode', () => post('/v1/clusters/topo/nodes', { address: standalone.nodes[0]!.address, role: 'master' }), 409, 'node_not_fit'],
      ['add: unknown cluster', () => post('/v1/clusters/nope/nodes', { address: spare[0]!, role: 'master' }), 404, 'cluster_not_found'],
      ['remove: unknown node', () => del(`/v1/clusters/topo/nodes/${encodeURIComponent('127.0.0.1:1')}`), 404, 'node_not_found'],
      ['remove: a node of another cluster', () => del(`/v1/clusters/topo/nodes/${encodeURIComponent(other.nodes[0]!.address)}`), 404, 'node_not_found'],
      ['remove: bad dryRun', () => del(`/v1/clusters/topo/nodes/${masters[0]!.id}?dryRun=maybe`), 400, 'invalid_argument', '/dryRun'],
      ['move: a master as replica', () => post('/v1/clusters/topo/replicas', { replica: masters[0]!.address, master: masters[1]!.address }), 400, 'not_a_replica', '/replica'],
      ['move: a replica as master', () => post('/v1/clusters/topo/replicas', { replica: replica.address, master: replica.address }), 400, 'not_a_master', '/master'],
      ['move: unknown replica', () => post('/v1/clusters/topo/replicas', { replica: 'f'.repeat(40), master: masters[1]!.id }), 400, 'invalid_node', '/replica'],
      ['move: the only replica away', () => post('/v1/clusters/topo/replicas', { replica: replica.address, master: masters.find((m) => m.id !== replica.masterId)!.address }), 409, 'would_orphan_master'],
      ['failover: a master', () => post('/v1/clusters/topo/failover', { replica: masters[0]!.address }), 400, 'not_a_replica', '/replica'],
      ['failover: unknown node', () => post('/v1/clusters/topo/failover', { replica: '127.0.0.1:1' }), 400, 'invalid_node', '/replica'],
      ['failover: bad mode', () => post('/v1/clusters/topo/failover', { replica: replica.address, mode: 'gently' }), 400, 'invalid_argument', '/mode'],
    ];
    for (const [label, send, status, code, pointer] of cases) {
      const res = await send();
      assert.equal(res.status, status, `${label}: ${res.text}`);
      assert.equal(res.type, 'application/problem+json', label);
      assert.equal(res.body.code, code, `${label}: ${res.text}`);
      if (pointer !== undefined) assert.ok(res.body.errors?.some((e: { pointer: string }) => e.pointer === pointer), `${label}: expected ${pointer} in ${res.text}`);
    }
    assert.equal(await operationCount(), ops, 'no operation was created');
    assert.deepEqual(await topologySnapshot(members), snapshot, 'no node changed');
    assert.deepEqual((await viewsOf(spare)).get(spare[0]!)!.length, 1, 'the spare node was not touched');
    assert.equal(await keysNow(), KEYS);
  });

  test('adds a master, and a rebalance with useEmptyMasters fills it; no key is lost', async () => {
    const address = spare[0]!;
    const dry = await post('/v1/clusters/topo/nodes', { address, role: 'master', dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.deepEqual(dry.body.steps.map((s: { kind: string }) => s.kind),
      ['check_new_node', 'tune_nodes', 'copy_functions', 'meet_new_node', 'wait_known', 'wait_topology', 'restore_config', 'release_new_node']);
    assert.match(dry.body.summary, /as a master without slots/);
    assert.equal((await viewsOf([address])).get(address)!.length, 1, 'a dry run changes nothing');

    const op = await run(await post('/v1/clusters/topo/nodes', { address, role: 'master' }));
    assert.equal(op.kind, 'add_node');
    members.push(address);
    await assertRoleEverywhere(members, address, 'master');
    const cluster = (await api().get('/v1/clusters/topo').set('authorization', AUTH)).body;
    assert.ok(cluster.spec.nodes.includes(address), 'the node joined the desired topology');
    assert.ok(cluster.spec.shards.some((s: { master: string; slots: unknown[] }) => s.master === address && s.slots.length === 0));
    await assertConfigRestored([address]);

    const rebalance = await run(await post('/v1/clusters/topo/rebalance', { useEmptyMasters: true }));
    assert.ok((rebalance.progress.slotsMoved ?? 0) > 4000);
    const added = (await observedMasters(service, 'topo')).find((m) => m.address === address)!;
    assert.ok(Math.abs(slotCount(added.slots) - 4096) <= 1, `the new master holds ${slotCount(added.slots)} slots`);
    assert.equal(await keysNow(), KEYS);
    await assertClusterSettled(members);
  });

  test('adds a replica without a master (it follows the master with the fewest replicas) and one with a master', async () => {
    const newMaster = spare[0]!;
    const dry = await post('/v1/clusters/topo/nodes', { address: spare[1]!, role: 'replica', dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.body.replicas[0].master.address, newMaster, 'the only master without a replica is chosen');
    assert.deepEqual(dry.body.steps.map((s: { kind: string }) => s.kind),
      ['check_new_node', 'tune_nodes', 'meet_new_node', 'wait_known', 'replicate_nodes', 'wait_topology', 'restore_config', 'release_new_node']);
    await run(await post('/v1/clusters/topo/nodes', { address: spare[1]!, role: 'replica' }));
    members.push(spare[1]!);
    await assertRoleEverywhere(members, spare[1]!, 'replica', newMaster);

    const first = (await observedMasters(service, 'topo')).find((m) => m.address !== newMaster)!;
    await run(await post('/v1/clusters/topo/nodes', { address: spare[2]!, role: 'replica', master: first.id }));
    members.push(spare[2]!);
    await assertRoleEverywhere(members, spare[2]!, 'replica', first.address);
    await assertClusterSettled(members);
    // The masters they synced from had their diskless sync delay lowered for the change only.
    await assertConfigRestored(members);
  });

  test('moves a replica, refusing to orphan a master unless forced', async () => {
    const masters = await observedMasters(service, 'topo');
    const views0 = await viewsOf([members[0]!]);
    const first = masters.find((m) => m.id === views0.get(members[0]!)!.find((n) => n.address === spare[2]!)!.masterId)!;
    const second = masters.find((m) => m.address !== spare[0]! && m.id !== first.id)!;
    // spare[1] is the only replica of the added master: moving it needs force.
    const refused = await post('/v1/clusters/topo/replicas', { replica: spare[1]!, master: second.address });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.code, 'would_orphan_master');
    // spare[2] is the second replica of the first master: it may go.
    const op = await run(await post('/v1/clusters/topo/replicas', { replica: spare[2]!, master: second.address }));
    assert.equal(op.kind, 'move_replica');
    await assertRoleEverywhere(members, spare[2]!, 'replica', second.address);
    const views = await viewsOf([first.address]);
    assert.equal(views.get(first.address)!.filter((n) => n.masterId === first.id).length, 1, 'the first master kept its own replica');
    const again = await run(await post('/v1/clusters/topo/replicas', { replica: spare[2]!, master: second.id }));
    assert.match(again.steps[1]!.detail ?? '', /already did/);
    await assertClusterSettled(members);
    await assertConfigRestored(members);
  });

  test('fails over (default, then takeover back) and every node sees the new roles', async () => {
    const master = (await observedMasters(service, 'topo'))[0]!;
    const views = await viewsOf(members);
    const replica = views.get(members[0]!)!.find((n) => n.role === 'replica' && n.masterId === master.id)!;
    const dry = await post('/v1/clusters/topo/failover', { replica: replica.address, dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.deepEqual(dry.body.steps.map((s: { kind: string }) => s.kind), ['tune_nodes', 'failover', 'wait_topology', 'restore_config']);

    const op = await run(await post('/v1/clusters/topo/failover', { replica: replica.address }));
    assert.equal(op.kind, 'failover');
    await assertRoleEverywhere(members, replica.address, 'master');
    await assertRoleEverywhere(members, master.address, 'replica', replica.address);
    assert.equal(await keysNow(), KEYS);

    await run(await post('/v1/clusters/topo/failover', { replica: master.address, mode: 'takeover' }));
    await assertRoleEverywhere(members, master.address, 'master');
    await assertRoleEverywhere(members, replica.address, 'replica', master.address);
    const cluster = (await api().get('/v1/clusters/topo').set('authorization', AUTH)).body;
    assert.ok(cluster.spec.shards.some((s: { master: string; replicas: string[] }) => s.master === master.address && s.replicas.includes(replica.address)));
    assert.equal(await keysNow(), KEYS);
    await assertClusterSettled(members);
  });

  test('removes a replica: forgotten by every node, then reset', async () => {
    const address = spare[2]!;
    const id = await nodeIdOf(address);
    const op = await run(await del(`/v1/clusters/topo/nodes/${encodeURIComponent(address)}`));
    assert.equal(op.kind, 'remove_node');
    assert.deepEqual(op.steps.map((s) => s.kind), ['forget_node', 'wait_topology']);
    members = members.filter((m) => m !== address);
    await assertForgottenAndReset(address, id, members);
    const cluster = (await api().get('/v1/clusters/topo').set('authorization', AUTH)).body;
    assert.ok(!cluster.spec.nodes.includes(address));
    await assertClusterSettled(members);
  });

  test('removes a master holding keys: drained, its replica re-assigned, forgotten by all, reset', async () => {
    const masters = await observedMasters(service, 'topo');
    const target = masters[1]!;
    const views = await viewsOf(members);
    const replicaOf = views.get(members[0]!)!.filter((n) => n.masterId === target.id).map((n) => n.address);
    assert.ok(replicaOf.length >= 1);

    const dry = await del(`/v1/clusters/topo/nodes/${target.id}?dryRun=true`);
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.body.slotsTotal, slotCount(target.slots));
    assert.ok(dry.body.keysTotal > 0);
    assert.ok(dry.body.moves.every((m: { from: { id: string } }) => m.from.id === target.id));
    assert.deepEqual(dry.body.steps.map((s: { kind: string }) => s.kind), [
      'check_cluster', 'hold_replica_migration', 'move_slots', 'tune_nodes', 'replicate_nodes', 'forget_node', 'wait_topology', 'restore_config', 'record_slots', 'restore_replica_migration',
    ]);
    assert.equal(dry.body.replicas.length, replicaOf.length);

    const op = await run(await del(`/v1/clusters/topo/nodes/${target.id}`));
    assert.equal(op.progress.slotsMoved, slotCount(target.slots));
    assert.equal(op.progress.keysMoved, dry.body.keysTotal);
    members = members.filter((m) => m !== target.address);
    await assertForgottenAndReset(target.address, target.id, members);
    for (const r of replicaOf) {
      const { master } = dry.body.replicas.find((x: { replica: { address: string } }) => x.replica.address === r);
      await assertRoleEverywhere(members, r, 'replica', master.address);
    }
    assert.equal((await observedMasters(service, 'topo')).length, masters.length - 1);
    assert.equal(await keysNow(), KEYS);
    await assertClusterSettled(members);
    const check = await api().get('/v1/clusters/topo/check').set('authorization', AUTH);
    assert.equal(check.body.ok, true, JSON.stringify(check.body));
    const status = (await api().get('/v1/clusters/topo').set('authorization', AUTH)).body.status;
    assert.equal(status.phase, 'ready', JSON.stringify(status));
    await assertConfigRestored([...members, target.address]);
  });
});
