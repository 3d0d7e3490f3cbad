import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { RunningService } from '../../src/startService.ts';
import { authMetadata, call, grpcClients, type GrpcClients } from '../helpers/grpcClient.ts';
import { startRedisNodes } from '../helpers/redisNodes.ts';
import { startTestService } from '../helpers/testService.ts';
import { verifyClusterFromNodes } from '../helpers/verifyCluster.ts';

describe('create a cluster over gRPC', () => {
  let service: RunningService;
  let clients: GrpcClients;
  before(async () => {
    service = await startTestService();
    clients = grpcClients(service.grpcPort!);
  });
  after(async () => {
    clients.close();
    await service.stop();
  });

  for (const [masters, replicas] of [[3, 0], [3, 1], [5, 2]] as const) {
    test(`${masters} masters x ${replicas} replicas, watched to the end`, async (t) => {
      const set = await startRedisNodes(masters * (1 + replicas));
      t.after(() => set.stop());
      const name = `grpc-${masters}x${replicas}`;
      const op = await call(clients.clusters, 'createCluster', { name, nodes: set.nodes.map((n) => n.address), replicasPerShard: replicas });
      assert.equal(op.kind, 'create_cluster');
      assert.equal(op.cluster, name);
      assert.equal(op.steps.length, 8);

      const seen: any[] = [];
      await new Promise<void>((resolve, reject) => {
        const stream = clients.operations.watchOperation({ id: op.id }, authMetadata());
        stream.on('data', (m) => seen.push(m));
        stream.on('error', reject);
        stream.on('end', resolve);
      });
      const last = seen.at(-1);
      assert.equal(last.status, 'succeeded', JSON.stringify(last.error));
      assert.equal(last.progress.percent, 100);
      assert.ok(seen.length >= 3, `the stream sent ${seen.length} updates`);
      const done = seen.map((m) => m.progress?.stepsDone ?? 0);
      assert.deepEqual(done, [...done].sort((a, b) => a - b), 'progress never goes back');

      await verifyClusterFromNodes(set.nodes, masters, replicas);

      const cluster = await call(clients.clusters, 'getCluster', { name });
      assert.equal(cluster.status.phase, 'ready');
      assert.equal(cluster.observed.nodes.length, set.nodes.length);
      const masterNodes = cluster.observed.nodes.filter((n: any) => n.role === 'master');
      assert.equal(masterNodes.length, masters);
      const slots = masterNodes.flatMap((n: any) => n.slots).reduce((sum: number, r: any) => sum + ((r.end ?? 0) - (r.start ?? 0) + 1), 0);
      assert.equal(slots, 16384);
    });
  }

  test('lists clusters and operations', async () => {
    const page = await call(clients.clusters, 'listClusters', { pageSize: 2 });
    assert.equal(page.clusters.length, 2);
    assert.ok(page.nextPageToken);
    const rest = await call(clients.clusters, 'listClusters', { pageSize: 2, pageToken: page.nextPageToken });
    assert.deepEqual([...page.clusters, ...rest.clusters].map((c: any) => c.name), ['grpc-3x0', 'grpc-3x1', 'grpc-5x2']);
    const ops = await call(clients.operations, 'listOperations', { cluster: 'grpc-3x0' });
    assert.equal(ops.operations.length, 1);
    const op = await call(clients.operations, 'getOperation', { id: ops.operations[0].id });
    assert.equal(op.status, 'succeeded');
  });

  test('maps errors to status codes with the stable code', async () => {
    const cases: [string, any, object, grpc.Metadata, grpc.status, string][] = [
      ['no token', clients.clusters, { name: 'x' }, new grpc.Metadata(), grpc.status.UNAUTHENTICATED, 'unauthenticated'],
      ['bad token', clients.clusters, { name: 'x' }, authMetadata('nope'), grpc.status.UNAUTHENTICATED, 'invalid_token'],
      ['unknown cluster', clients.clusters, { name: 'nope' }, authMetadata(), grpc.status.NOT_FOUND, 'cluster_not_found'],
    ];
    for (const [label, client, req, md, code, stable] of cases) {
      await assert.rejects(call(client, 'getCluster', req, md), (err: grpc.ServiceError) => {
        assert.equal(err.code, code, label);
        assert.match(err.details, new RegExp(`^\\[${stable}\\]`), label);
        assert.equal(err.metadata.get('slotsmith-error-code')[0], stable, label);
        return true;
      });
    }
    await assert.rejects(call(clients.operations, 'getOperation', { id: '00000000-0000-0000-0000-000000000000' }), { code: grpc.status.NOT_FOUND });
    // The name of a ready cluster is taken (a create that failed without changing anything could be retried).
    const dup = { name: 'grpc-3x0', nodes: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], replicasPerShard: 0 };
    await assert.rejects(call(clients.clusters, 'createCluster', dup), { code: grpc.status.ALREADY_EXISTS });
    await assert.rejects(call(clients.clusters, 'createCluster', { name: 'neg', nodes: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], replicasPerShard: -1 }), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
      assert.match(err.details, /replicasPerShard/);
      return true;
    });
    await assert.rejects(call(clients.clusters, 'createCluster', { name: 'missing' }), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
      assert.match(err.details, /\/nodes: is required/);
      return true;
    });
    const watch = clients.operations.watchOperation({ id: 'nope' }, authMetadata());
    await new Promise<void>((resolve) => {
      watch.on('data', () => assert.fail('no data expected'));
      watch.on('error', (err: grpc.ServiceError) => {
        assert.equal(err.code, grpc.status.NOT_FOUND);
        resolve();
      });
    });
  });

  test('PlanCluster is the dry run of CreateCluster', async () => {
    const plan = await call(clients.clusters, 'planCluster', { name: 'planned', nodes: ['127.0.0.1:31301', '127.0.0.1:31302', '127.0.0.1:31303'], replicasPerShard: 0 });
    assert.equal(plan.kind, 'create_cluster');
    assert.equal(plan.shards.length, 3);
    assert.deepEqual(plan.shards[0].slots, [{ start: 0, end: 5460 }]);
    await assert.rejects(call(clients.clusters, 'getCluster', { name: 'planned' }), { code: grpc.status.NOT_FOUND });
  });

  test('standard health checking answers without a token', async () => {
    const res = await call(clients.health, 'check', { service: 'slotsmith.v1.ClusterService' }, new grpc.Metadata());
    assert.equal(res.status, 'SERVING');
  });
});
