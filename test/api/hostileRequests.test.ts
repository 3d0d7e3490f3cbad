import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { RunningService } from '../../src/startService.ts';
import { ADMIN_TOKEN, AUTH, startTestService } from '../helpers/testService.ts';

const NODES = ['127.0.0.1:31001', '127.0.0.1:31002', '127.0.0.1:31003'];
const valid = { name: 'c1', nodes: NODES, replicasPerShard: 0 };

interface Case {
  readonly label: string;
  readonly method?: 'get' | 'post' | 'put' | 'delete';
  readonly path?: string;
  readonly auth?: string | null;
  readonly body?: unknown;
  readonly raw?: { type: string; text: string };
  readonly status: number;
  readonly code: string;
  readonly pointer?: string;
}

const cases: Case[] = [
  { label: 'no Authorization header', auth: null, body: valid, status: 401, code: 'unauthenticated' },
  { label: 'wrong token', auth: 'Bearer not-the-token', body: valid, status: 401, code: 'invalid_token' },
  { label: 'Basic instead of Bearer', auth: `Basic ${Buffer.from('admin:x').toString('base64')}`, body: valid, status: 401, code: 'unauthenticated' },
  { label: 'empty bearer', auth: 'Bearer ', body: valid, status: 401, code: 'unauthenticated' },
  { label: 'token with a space in it', auth: `Bearer ${ADMIN_TOKEN} x`, body: valid, status: 401, code: 'unauthenticated' },
  { label: 'malformed JSON', raw: { type: 'application/json', text: '{"name": "c1",' }, status: 400, code: 'malformed_json' },
  { label: 'JSON array body', body: [valid], status: 400, code: 'invalid_argument', pointer: '' },
  { label: 'JSON null body', raw: { type: 'application/json', text: 'null' }, status: 400, code: 'malformed_json' },
  { label: 'text/plain body', raw: { type: 'text/plain', text: JSON.stringify(valid) }, status: 415, code: 'unsupported_media_type' },
  { label: 'missing name', body: { nodes: NODES, replicasPerShard: 0 }, status: 400, code: 'invalid_argument', pointer: '/name' },
  { label: 'missing nodes', body: { name: 'c1', replicasPerShard: 0 }, status: 400, code: 'invalid_argument', pointer: '/nodes' },
  { label: 'missing replicasPerShard', body: { name: 'c1', nodes: NODES }, status: 400, code: 'invalid_argument', pointer: '/replicasPerShard' },
  { label: 'name is a number', body: { ...valid, name: 42 }, status: 400, code: 'invalid_argument', pointer: '/name' },
  { label: 'nodes is a string', body: { ...valid, nodes: '127.0.0.1:7000' }, status: 400, code: 'invalid_argument', pointer: '/nodes' },
  { label: 'a node is a number', body: { ...valid, nodes: [...NODES.slice(0, 2), 7000] }, status: 400, code: 'invalid_argument', pointer: '/nodes/2' },
  { label: 'a node is an object', body: { ...valid, nodes: [...NODES.slice(0, 2), { host: 'x' }] }, status: 400, code: 'invalid_argument', pointer: '/nodes/2' },
  { label: 'negative replicasPerShard', body: { ...valid, replicasPerShard: -1 }, status: 400, code: 'invalid_argument', pointer: '/replicasPerShard' },
  { label: 'fractional replicasPerShard', body: { ...valid, replicasPerShard: 1.5 }, status: 400, code: 'invalid_argument', pointer: '/replicasPerShard' },
  { label: 'replicasPerShard as a string', body: { ...valid, replicasPerShard: '1' }, status: 400, code: 'invalid_argument', pointer: '/replicasPerShard' },
  { label: 'unknown field', body: { ...valid, shards: 3 }, status: 400, code: 'invalid_argument', pointer: '/shards' },
  { label: '__proto__ field', raw: { type: 'application/json', text: '{"name":"c1","nodes":["127.0.0.1:31001","127.0.0.1:31002","127.0.0.1:31003"],"replicasPerShard":0,"__proto__":{"admin":true}}' }, status: 400, code: 'invalid_argument', pointer: '/__proto__' },
  { label: 'huge node list', body: { ...valid, nodes: Array.from({ length: 5000 }, (_, i) => `10.0.${i >> 8}.${i & 255}:7000`) }, status: 400, code: 'invalid_argument', pointer: '/nodes' },
  { label: 'body over 1 MiB', raw: { type: 'application/json', text: JSON.stringify({ ...valid, name: 'x'.repeat(2 * 1024 * 1024) }) }, status: 413, code: 'payload_too_large' },
  { label: 'address without port', body: { ...valid, nodes: ['127.0.0.1', ...NODES.slice(1)] }, status: 400, code: 'invalid_argument', pointer: '/nodes/0' },
  { label: 'port 0', body: { ...valid, nodes: ['127.0.0.1:0', ...NODES.slice(1)] }, status: 400, code: 'invalid_argument', pointer: '/nodes/0' },
  { label: 'port too big for the bus port', body: { ...valid, nodes: ['127.0.0.1:60000', ...NODES.slice(1)] }, status: 400, code: 'invalid_argument', pointer: '/nodes/0' },
  { label: 'node listed twice', body: { ...valid, nodes: [...NODES, NODES[0]], replicasPerShard: 0 }, status: 400, code: 'invalid_argument', pointer: '/nodes/3' },
  { label: 'only two masters', body: { ...valid, nodes: NODES.slice(0, 2) }, status: 400, code: 'invalid_argument', pointer: '/nodes' },
  { label: 'replicas do not fit the node count', body: { ...valid, nodes: [...NODES, '127.0.0.1:31004'], replicasPerShard: 1 }, status: 400, code: 'invalid_argument', pointer: '/nodes' },
  { label: 'name with a path', body: { ...valid, name: '../etc' }, status: 400, code: 'invalid_argument', pointer: '/name' },
  { label: 'name in upper case', body: { ...valid, name: 'Prod' }, status: 400, code: 'invalid_argument', pointer: '/name' },
  { label: 'name too long', body: { ...valid, name: 'a'.repeat(64) }, status: 400, code: 'invalid_argument', pointer: '/name' },
  { label: 'negative pageSize', method: 'get', path: '/v1/clusters?pageSize=-1', status: 400, code: 'invalid_argument', pointer: '/pageSize' },
  { label: 'pageSize not a number', method: 'get', path: '/v1/clusters?pageSize=ten', status: 400, code: 'invalid_argument', pointer: '/pageSize' },
  { label: 'forged pageToken', method: 'get', path: '/v1/clusters?pageToken=%7B%22a%22%3A1%7D', status: 400, code: 'invalid_page_token' },
  { label: 'unknown query parameter', method: 'get', path: '/v1/operations?clusterName=x', status: 400, code: 'invalid_argument', pointer: '/clusterName' },
  { label: 'operation id that is not a uuid', method: 'get', path: '/v1/operations/1%20OR%201=1', status: 404, code: 'operation_not_found' },
  { label: 'unknown cluster', method: 'get', path: '/v1/clusters/nope', status: 404, code: 'cluster_not_found' },
  { label: 'unsupported method', method: 'delete', path: '/v1/operations', status: 405, code: 'method_not_allowed' },
  { label: 'unknown route', method: 'get', path: '/v1/nothing', status: 404, code: 'not_found' },
];

describe('malformed and hostile requests get a 4xx problem and change nothing', () => {
  let service: RunningService;
  before(async () => {
    // No worker: a create stays queued, so its name stays taken (a create that failed before it
    // changed anything could be retried under its name).
    service = await startTestService({ roles: new Set(['rest', 'grpc']) });
  });
  after(async () => {
    await service.stop();
  });

  for (const c of cases) {
    test(c.label, async () => {
      const method = c.method ?? 'post';
      let req = request(service.restApp)[method](c.path ?? '/v1/clusters');
      if (c.auth !== null) req = req.set('authorization', c.auth ?? AUTH);
      const res = c.raw ? await req.set('content-type', c.raw.type).send(c.raw.text)
        : c.body !== undefined ? await req.send(c.body as object) : await req;
      assert.equal(res.status, c.status, res.text);
      assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
      const problem = JSON.parse(res.text);
      assert.equal(problem.code, c.code, res.text);
      assert.equal(problem.status, c.status);
      assert.ok(problem.type && problem.title && problem.detail, res.text);
      if (c.pointer !== undefined) {
        assert.ok(problem.errors?.some((e: { pointer: string }) => e.pointer === c.pointer), `expected an error at ${c.pointer}: ${res.text}`);
      }
      assert.doesNotMatch(res.text, /at [\w.]+ \(|node_modules|prisma/i, 'no internals leak');
    });
  }

  test('after all of them: healthy, and nothing was created', async () => {
    assert.equal((await request(service.restApp).get('/healthz')).status, 200);
    assert.equal((await request(service.restApp).get('/readyz')).status, 200);
    const clusters = await request(service.restApp).get('/v1/clusters').set('authorization', AUTH);
    assert.deepEqual(clusters.body, { clusters: [], nextPageToken: null });
    const ops = await request(service.restApp).get('/v1/operations').set('authorization', AUTH);
    assert.deepEqual(ops.body, { operations: [], nextPageToken: null });
  });

  test('a taken name and a node in use are conflicts, and create nothing more', async () => {
    const first = await request(service.restApp).post('/v1/clusters').set('authorization', AUTH).send(valid);
    assert.equal(first.status, 202, first.text);
    const again = await request(service.restApp).post('/v1/clusters').set('authorization', AUTH).send({ ...valid, nodes: ['127.0.0.1:31011', '127.0.0.1:31012', '127.0.0.1:31013'] });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'cluster_exists');
    const inUse = await request(service.restApp).post('/v1/clusters').set('authorization', AUTH).send({ ...valid, name: 'c2' });
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.code, 'node_in_use');
    assert.match(inUse.body.detail, /127\.0\.0\.1:31001/);
    const clusters = await request(service.restApp).get('/v1/clusters').set('authorization', AUTH);
    assert.deepEqual(clusters.body.clusters.map((c: { name: string }) => c.name), ['c1']);
    const ops = await request(service.restApp).get('/v1/operations').set('authorization', AUTH);
    assert.equal(ops.body.operations.length, 1);
  });
});
