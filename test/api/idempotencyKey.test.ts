import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import request from 'supertest';
import { authMetadata, call, grpcClients } from '../helpers/grpcClient.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { AUTH, useServiceWithNodes } from '../helpers/testService.ts';

describe('Idempotency-Key: a retried change runs once', () => {
  const suite = useServiceWithNodes(6);

  const post = (path: string, body: object, key?: string) => {
    const req = request(suite.service.restApp).post(path).set('authorization', AUTH);
    return (key === undefined ? req : req.set('idempotency-key', key)).send(body);
  };
  const operationCount = async (cluster: string) =>
    (await request(suite.service.restApp).get(`/v1/operations?cluster=${cluster}`).set('authorization', AUTH)).body.operations.length;

  test('REST: a retry gets the same operation back; a failed request frees its key; another body is refused', async () => {
    const nodes = suite.set.nodes.slice(0, 3).map((n) => n.address);
    const bad = await post('/v1/clusters', { name: 'idem', nodes, replicasPerShard: 7 }, 'create-idem');
    assert.equal(bad.status, 400, 'a failed request stores nothing');

    const first = await post('/v1/clusters', { name: 'idem', nodes, replicasPerShard: 0 }, 'create-idem');
    assert.equal(first.status, 202, first.text);
    const retry = await post('/v1/clusters', { replicasPerShard: 0, nodes, name: 'idem' }, 'create-idem');
    assert.equal(retry.status, 202, 'the same answer, key order in the body aside');
    assert.equal(retry.body.id, first.body.id);
    assert.equal(retry.headers.location, `/v1/operations/${first.body.id}`);
    assert.equal(await operationCount('idem'), 1);

    const other = await post('/v1/clusters', { name: 'idem2', nodes, replicasPerShard: 0 }, 'create-idem');
    assert.equal(other.status, 422);
    assert.equal(other.body.code, 'idempotency_key_reused');
    assert.equal((await waitForOperation(suite.service.restApp, first.body.id)).status, 'succeeded');

    const reshard = { to: suite.set.nodes[1]!.address, from: [suite.set.nodes[0]!.address], slots: 10 };
    const moved = await post('/v1/clusters/idem/reshard', reshard, 'reshard-1');
    const again = await post('/v1/clusters/idem/reshard', reshard, 'reshard-1');
    assert.equal(again.body.id, moved.body.id);
    assert.equal(await operationCount('idem'), 2, 'one create and one reshard');
    assert.equal((await waitForOperation(suite.service.restApp, moved.body.id)).status, 'succeeded');
    // Without a key the same body is a new request (which moves 10 more slots).
    const fresh = await post('/v1/clusters/idem/reshard', reshard);
    assert.notEqual(fresh.body.id, moved.body.id);
    await waitForOperation(suite.service.restApp, fresh.body.id);

    const badKey = await post('/v1/clusters/idem/reshard', reshard, 'x'.repeat(256));
    assert.equal(badKey.status, 400);
    assert.equal(badKey.body.code, 'invalid_idempotency_key');
  });

  test('gRPC: the idempotency-key metadata does the same', async () => {
    const clients = grpcClients(suite.service.grpcPort!);
    const withKey = (key: string) => {
      const md = authMetadata();
      md.set('idempotency-key', key);
      return md;
    };
    try {
      const req = { name: 'idem-grpc', nodes: suite.set.nodes.slice(3).map((n) => n.address), replicasPerShard: 0 };
      const first = await call(clients.clusters, 'createCluster', req, withKey('grpc-create'));
      const retry = await call(clients.clusters, 'createCluster', req, withKey('grpc-create'));
      assert.equal(retry.id, first.id);
      assert.equal(await operationCount('idem-grpc'), 1);
      await assert.rejects(
        call(clients.clusters, 'createCluster', { ...req, name: 'idem-grpc-2' }, withKey('grpc-create')),
        (err: grpc.ServiceError) => err.code === grpc.status.INVALID_ARGUMENT && /idempotency_key_reused/.test(err.message),
      );
      assert.equal((await waitForOperation(suite.service.restApp, first.id)).status, 'succeeded');
    } finally {
      clients.close();
    }
  });
});
