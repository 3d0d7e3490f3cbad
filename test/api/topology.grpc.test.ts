import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { RunningService } from '../../src/startService.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { createReadyCluster, observedMasters } from '../helpers/clusters.ts';
import { call, grpcClients, type GrpcClients } from '../helpers/grpcClient.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { startTestService } from '../helpers/testService.ts';
import { assertForgottenAndReset, assertRoleEverywhere, topologySnapshot, viewsOf } from '../helpers/topology.ts';

const KEYS = 5_000;

/** Add, fail over, move and remove over gRPC on one 3-master cluster, down to its last master. */
describe('topology changes over gRPC', () => {
  let service: RunningService;
  let clients: GrpcClients;
  let set: RedisNodeSet;
  let members: string[];
  let spare: string;

  before(async () => {
    service = await startTestService();
    clients = grpcClients(service.grpcPort!);
    set = await startRedisNodes(4);
    await createReadyCluster(service, 'g', { nodes: set.nodes.slice(0, 3) } as RedisNodeSet, 0);
    members = set.nodes.slice(0, 3).map((n) => n.address);
    spare = set.nodes[3]!.address;
    await loadKeys(await observedMasters(service, 'g'), KEYS, 16);
  });
  after(async () => {
    clients.close();
    await service.stop();
    await set.stop();
  });

  const change = (method: string, req: object) => call(clients.clusters, method, { cluster: 'g', ...req });
  const keysNow = async () => countKeys((await observedMasters(service, 'g')).map((m) => m.address));
  /** Submits a change, checks it answered an operation (not a plan), and polls it over gRPC until it ends. */
  const run = async (method: string, req: object) => {
    const res = await change(method, req);
    assert.ok(res.operation && !res.plan, JSON.stringify(res));
    for (let i = 0; ; i++) {
      const op = await call(clients.operations, 'getOperation', { id: res.operation.id });
      if (['succeeded', 'failed', 'cancelled'].includes(op.status)) {
        assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
        return op;
      }
      assert.ok(i < 2400, `operation ${op.id} still ${op.status}`);
      await delay(50);
    }
  };
  const refused = async (method: string, req: object, status: grpc.status, code: string) => {
    await assert.rejects(change(method, req), (err: grpc.ServiceError) => {
      assert.equal(err.code, status, `${method}: ${err.details}`);
      assert.equal(err.metadata.get('slotsmith-error-code')[0], code, `${method}: ${err.details}`);
      assert.match(err.details, new RegExp(`^\\[${code}\\]`));
      return true;
    });
  };

  test('AddNode: a dry run answers the plan; the replica follows the master with the fewest replicas', async () => {
    const dry = await change('addNode', { address: spare, role: 'replica', dryRun: true });
    assert.ok(dry.plan && !dry.operation);
    assert.equal(dry.plan.kind, 'add_node');
    assert.match(dry.plan.summary, /as a replica of/);
    assert.equal(dry.plan.replicas.length, 1);
    assert.equal(dry.plan.replicas[0].replica.address, spare);
    assert.equal((await viewsOf([spare])).get(spare)!.length, 1, 'the dry run changed nothing');

    const op = await run('addNode', { address: spare, role: 'replica' });
    assert.equal(op.kind, 'add_node');
    members.push(spare);
    await assertRoleEverywhere(members, spare, 'replica', dry.plan.replicas[0].master.address);
  });

  test('Failover: refuses a master; promotes the replica and every node sees it', async () => {
    const master = (await viewsOf([spare])).get(spare)!.find((n) => n.myself)!.masterId!;
    const masterAddress = (await viewsOf([spare])).get(spare)!.find((n) => n.id === master)!.address;
    await refused('failover', { replica: masterAddress }, grpc.status.INVALID_ARGUMENT, 'not_a_replica');
    await refused('failover', { replica: '127.0.0.1:1' }, grpc.status.INVALID_ARGUMENT, 'invalid_node');
    await run('failover', { replica: spare });
    await assertRoleEverywhere(members, spare, 'master');
    await assertRoleEverywhere(members, masterAddress, 'replica', spare);
    assert.equal(await keysNow(), KEYS);
  });

  test('MoveReplica: refuses to orphan a master unless forced', async () => {
    const replica = (await viewsOf([spare])).get(spare)!.find((n) => n.role === 'replica')!.address;
    const target = members.find((m) => m !== spare && m !== replica)!;
    await refused('moveReplica', { replica, master: target }, grpc.status.FAILED_PRECONDITION, 'would_orphan_master');
    await refused('moveReplica', { replica: target, master: spare }, grpc.status.INVALID_ARGUMENT, 'not_a_replica');
    await run('moveReplica', { replica, master: target, force: true });
    await assertRoleEverywhere(members, replica, 'replica', target);
  });

  test('RemoveNode: drains masters down to the last one, which is refused', async () => {
    await refused('removeNode', { node: '127.0.0.1:1' }, grpc.status.NOT_FOUND, 'node_not_found');
    await refused('removeNode', {}, grpc.status.INVALID_ARGUMENT, 'invalid_argument');
    const masters = () => observedMasters(service, 'g');
    // Below 3 masters serving slots, no failover can happen by itself: only when asked for.
    await refused('removeNode', { node: (await masters())[0]!.address }, grpc.status.FAILED_PRECONDITION, 'too_few_masters');
    for (let left = (await masters()).length; left > 1; left--) {
      // The master without replicas goes first, then the next one; the last one keeps the replica.
      const views = await viewsOf(members);
      const all = views.get(members[0]!)!;
      const target = (await masters()).sort((a, b) => all.filter((n) => n.masterId === a.id).length - all.filter((n) => n.masterId === b.id).length)[0]!;
      const dry = await change('removeNode', { node: target.id, dryRun: true, allowFewerThanThreeMasters: true });
      assert.ok(dry.plan.slotsTotal > 0);
      assert.ok(dry.plan.moves.every((m: { from: { id: string } }) => m.from.id === target.id));
      await run('removeNode', { node: target.address, allowFewerThanThreeMasters: true });
      members = members.filter((m) => m !== target.address);
      await assertForgottenAndReset(target.address, target.id, members);
      assert.equal((await masters()).length, left - 1);
      assert.equal(await keysNow(), KEYS);
      await assertClusterSettled(members);
    }
    const [last] = await masters();
    const snapshot = await topologySnapshot(members);
    await refused('removeNode', { node: last!.address }, grpc.status.FAILED_PRECONDITION, 'last_master');
    assert.deepEqual(await topologySnapshot(members), snapshot, 'nothing changed');
    assert.equal(await keysNow(), KEYS);
  });
});
