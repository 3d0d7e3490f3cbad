import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import request from 'supertest';
import { call, grpcClients } from '../helpers/grpcClient.ts';
import { AUTH, useServiceWithNodes } from '../helpers/testService.ts';

describe('GET an operation with waitSeconds: a long poll until it ends', () => {
  const suite = useServiceWithNodes(6);

  test('REST answers once the operation has ended, not before', async () => {
    const created = await request(suite.service.restApp).post('/v1/clusters').set('authorization', AUTH)
      .send({ name: 'lp1', nodes: suite.set.nodes.slice(0, 3).map((n) => n.address), replicasPerShard: 0 });
    assert.equal(created.status, 202);
    assert.equal(created.body.status, 'queued');
    const res = await request(suite.service.restApp).get(`/v1/operations/${created.body.id}?waitSeconds=60`).set('authorization', AUTH);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body.error));
    assert.equal(res.body.progress.percent, 100);
  });

  test('gRPC GetOperation with wait_seconds answers once the operation has ended', async () => {
    const clients = grpcClients(suite.service.grpcPort!);
    try {
      const op = await call(clients.clusters, 'createCluster', { name: 'lp2', nodes: suite.set.nodes.slice(3).map((n) => n.address), replicasPerShard: 0 });
      assert.equal(op.status, 'queued');
      const done = await call(clients.operations, 'getOperation', { id: op.id, waitSeconds: 60 });
      assert.equal(done.status, 'succeeded');
    } finally {
      clients.close();
    }
  });

  test('bad waitSeconds values are refused, naming the field', async () => {
    const list = await request(suite.service.restApp).get('/v1/operations').set('authorization', AUTH);
    const id = list.body.operations[0].id as string;
    for (const [query, reason] of [['waitSeconds=61', /at most 60/], ['waitSeconds=-1', /.+/], ['waitSeconds=abc', /.+/], ['waitSeconds=1.5', /.+/], ['wait=1', /unknown field/]] as const) {
      const res = await request(suite.service.restApp).get(`/v1/operations/${id}?${query}`).set('authorization', AUTH);
      assert.equal(res.status, 400, query);
      assert.equal(res.type, 'application/problem+json');
      const pointer = `/${query.split('=')[0]}`;
      const field = res.body.errors.find((e: { pointer: string }) => e.pointer === pointer);
      assert.ok(field && reason.test(field.reason), `${query}: ${JSON.stringify(res.body.errors)}`);
    }
  });
});

describe('waitSeconds when no worker in this process runs the operation', () => {
  const suite = useServiceWithNodes(3, { roles: new Set(['rest', 'grpc']) });

  test('answers with the operation as it is once the wait is over', async () => {
    const created = await request(suite.service.restApp).post('/v1/clusters').set('authorization', AUTH)
      .send({ name: 'lp3', nodes: suite.set.nodes.map((n) => n.address), replicasPerShard: 0 });
    const res = await request(suite.service.restApp).get(`/v1/operations/${created.body.id}?waitSeconds=1`).set('authorization', AUTH);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'queued');
  });
});
