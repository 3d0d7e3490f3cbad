import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { RunningService } from '../../src/startService.ts';
import { createReadyCluster, observedMasters, slotCount } from '../helpers/clusters.ts';
import { authMetadata, call, grpcClients, type GrpcClients } from '../helpers/grpcClient.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { startTestService } from '../helpers/testService.ts';
import { verifyClusterFromNodes } from '../helpers/verifyCluster.ts';

const KEYS = 10_000;

/** Follows WatchOperation to the end and returns every message it sent. */
function watch(clients: GrpcClients, id: string): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const seen: any[] = [];
    const stream = clients.operations.watchOperation({ id }, authMetadata());
    stream.on('data', (m) => seen.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve(seen));
  });
}

describe('reshard and rebalance over gRPC', () => {
  let service: RunningService;
  let set: RedisNodeSet;
  let clients: GrpcClients;
  before(async () => {
    service = await startTestService();
    clients = grpcClients(service.grpcPort!);
    set = await startRedisNodes(3);
    await createReadyCluster(service, 'g', set, 0);
    await loadKeys(await observedMasters(service, 'g'), KEYS, 32);
  });
  after(async () => {
    clients.close();
    await service.stop();
    await set.stop();
  });

  test('dry run, then explicit moves, watched to the end', async () => {
    const [a, , c] = await observedMasters(service, 'g');
    const dry = await call(clients.clusters, 'reshard', { cluster: 'g', moves: [{ slots: [{ start: 0, end: 499 }], to: c!.address }], maxKeysPerSecond: 50_000, dryRun: true });
    assert.ok(dry.plan, JSON.stringify(dry));
    assert.match(dry.plan.steps[1].title, /at most 50000 keys\/s/, 'the throttle is part of the plan');
    assert.equal(dry.operation, undefined);
    assert.equal(dry.plan.slotsTotal, 500);
    assert.equal(dry.plan.moves[0].from.id, a!.id);
    assert.deepEqual(dry.plan.moves[0].slots, [{ start: 0, end: 499 }]);
    assert.ok(Number(dry.plan.keysTotal) > 0);

    const res = await call(clients.clusters, 'reshard', { cluster: 'g', moves: [{ slots: [{ start: 0, end: 499 }], to: c!.address }] });
    assert.equal(res.operation.kind, 'reshard');
    const seen = await watch(clients, res.operation.id);
    const last = seen.at(-1);
    assert.equal(last.status, 'succeeded', JSON.stringify(last.error));
    assert.equal(Number(last.progress.slotsMoved), 500);
    assert.equal(Number(last.progress.keysMoved), Number(dry.plan.keysTotal));
    assert.equal(await countKeys(set.nodes.map((n) => n.address)), KEYS);
  });

  test('by count, then rebalance back', async () => {
    const [a, b] = await observedMasters(service, 'g');
    const res = await call(clients.clusters, 'reshard', { cluster: 'g', to: b!.id, from: [a!.id], slots: 300 });
    assert.equal((await watch(clients, res.operation.id)).at(-1).status, 'succeeded');
    const reb = await call(clients.clusters, 'rebalance', { cluster: 'g', threshold: 1 });
    assert.equal((await watch(clients, reb.operation.id)).at(-1).status, 'succeeded');
    const counts = (await observedMasters(service, 'g')).map((m) => slotCount(m.slots));
    assert.ok(counts.every((n) => Math.abs(n - 16384 / 3) < 60), counts.join(','));
    assert.equal(await countKeys(set.nodes.map((n) => n.address)), KEYS);
    await verifyClusterFromNodes(set.nodes, 3, 0);
  });

  test('cancelling a finished operation is FAILED_PRECONDITION', async () => {
    const ops = await call(clients.operations, 'listOperations', { cluster: 'g', pageSize: 1 });
    await assert.rejects(call(clients.operations, 'cancelOperation', { id: ops.operations[0].id }), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
      assert.match(err.details, /^\[operation_finished\]/);
      return true;
    });
  });

  test('bad input maps to INVALID_ARGUMENT with the pointer, and an unknown cluster to NOT_FOUND', async () => {
    await assert.rejects(call(clients.clusters, 'reshard', { cluster: 'g', to: '127.0.0.1:1', slots: 5 }), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
      assert.match(err.details, /^\[invalid_node\]/);
      assert.match(String(err.metadata.get('slotsmith-field-errors')[0]), /"\/to"/);
      return true;
    });
    await assert.rejects(call(clients.clusters, 'reshard', { cluster: 'g', moves: [{ slots: [{ start: 5, end: 70000 }], to: '127.0.0.1:1' }] }), { code: grpc.status.INVALID_ARGUMENT });
    await assert.rejects(call(clients.clusters, 'rebalance', { cluster: 'nope' }), { code: grpc.status.NOT_FOUND });
    await assert.rejects(call(clients.clusters, 'rebalance', { cluster: 'g', weights: { 'x:1': 1 } }), { code: grpc.status.INVALID_ARGUMENT });
  });
});
