import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import request from 'supertest';
import type { RunningService } from '../../src/startService.ts';
import { authMetadata, call } from '../helpers/grpcClient.ts';
import { packageDefinition } from '../../src/api/grpc/server.ts';
import { ADMIN_TOKEN, AUTH, startTestService } from '../helpers/testService.ts';
import { createAuthenticator, hashToken, TOKEN_CACHE_MS } from '../../src/service/auth.ts';
import { findTokenByHash } from '../../src/store/tokens.ts';
import { eventually } from '../helpers/eventually.ts';

describe('API tokens: an admin hands out roles, and revokes them', () => {
  let service: RunningService;
  before(async () => {
    service = await startTestService();
  });
  after(async () => {
    await service.stop();
  });

  const as = (token: string) => ({
    get: (path: string) => request(service.restApp).get(path).set('authorization', `Bearer ${token}`),
    post: (path: string, body: object) => request(service.restApp).post(path).set('authorization', `Bearer ${token}`).send(body),
    delete: (path: string) => request(service.restApp).delete(path).set('authorization', `Bearer ${token}`),
  });
  const admin = { get: (p: string) => request(service.restApp).get(p).set('authorization', AUTH), post: (p: string, b: object) => request(service.restApp).post(p).set('authorization', AUTH).send(b) };

  test('REST: create (secret once), use by role, list without secrets, revoke', async () => {
    const made = await admin.post('/v1/tokens', { name: 'chatops-bot', role: 'viewer' });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.headers.location, `/v1/tokens/${made.body.id}`);
    assert.match(made.body.token, /^ssm_/);
    const viewer = as(made.body.token);
    const operatorToken = (await admin.post('/v1/tokens', { name: 'terraform', role: 'operator' })).body.token as string;
    const operator = as(operatorToken);

    assert.equal((await viewer.get('/v1/clusters')).status, 200);
    const denied = await viewer.post('/v1/clusters/none/reshard', { to: 'x:1', slots: 1 });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.code, 'permission_denied');
    assert.equal((await operator.post('/v1/clusters/none/reshard', { to: 'x:1', slots: 1 })).status, 404, 'an operator gets past the role check');
    assert.equal((await operator.post('/v1/tokens', { name: 'sneaky', role: 'admin' })).status, 403);
    assert.equal((await operator.get('/v1/tokens')).status, 403);

    const list = await admin.get('/v1/tokens');
    assert.equal(list.status, 200);
    const bot = list.body.tokens.find((t: { name: string }) => t.name === 'chatops-bot');
    assert.deepEqual(Object.keys(bot).sort(), ['createdAt', 'id', 'lastUsedAt', 'name', 'role']);
    assert.ok(!JSON.stringify(list.body).includes(made.body.token), 'no secret in the list');
    assert.ok(bot.lastUsedAt, 'its use was recorded');

    assert.equal((await as('x').delete(`/v1/tokens/${made.body.id}`)).status, 401);
    const revoked = await request(service.restApp).delete(`/v1/tokens/${made.body.id}`).set('authorization', AUTH);
    assert.equal(revoked.status, 204);
    assert.equal((await viewer.get('/v1/clusters')).status, 401, 'a revoked token is refused at once');
    const again = await request(service.restApp).delete(`/v1/tokens/${made.body.id}`).set('authorization', AUTH);
    assert.equal(again.status, 404);
    assert.equal(again.body.code, 'token_not_found');
  });

  test('a token is read from the database once a second, its use written once a minute; a revocation elsewhere holds within a second', async () => {
    const made = await admin.post('/v1/tokens', { name: 'busy-bot', role: 'viewer' });
    const header = `Bearer ${made.body.token}`;
    // Another process on the same database: its own authenticator, its own cache.
    let otherNow = Date.now();
    const other = await createAuthenticator(service.db, ADMIN_TOKEN, () => undefined, () => otherNow);
    assert.equal((await other.authenticate(header)).name, 'busy-bot');
    const touched = await eventually(async () => (await findTokenByHash(service.db, hashToken(made.body.token)))?.lastUsedAt ?? undefined, 5_000, 20);
    let reads = 0;
    const counting = { ...service.db, prisma: new Proxy(service.db.prisma, {
      get: (target, prop) => (prop === 'apiToken' ? new Proxy(target.apiToken, { get: (t, p) => { reads += 1; return (t as any)[p]; } }) : (target as any)[prop]),
    }) };
    const watched = await createAuthenticator(counting as typeof service.db, ADMIN_TOKEN, () => undefined);
    for (let i = 0; i < 50; i += 1) await watched.authenticate(header);
    assert.equal(reads, 2, 'one read of the token and one write of its use for 50 requests');
    assert.equal((await findTokenByHash(service.db, hashToken(made.body.token)))!.lastUsedAt!.getTime() >= touched.getTime(), true);

    assert.equal((await request(service.restApp).delete(`/v1/tokens/${made.body.id}`).set('authorization', AUTH)).status, 204);
    assert.equal((await other.authenticate(header)).name, 'busy-bot', 'the other process trusts what it read less than a second ago');
    otherNow += TOKEN_CACHE_MS;
    await assert.rejects(other.authenticate(header), /not valid/, 'and refuses the token a second after it read it');
  });

  test('REST: bad requests name the field; a key is refused since the answer carries a secret', async () => {
    for (const [body, pointer] of [[{ name: '', role: 'viewer' }, '/name'], [{ name: 'a', role: 'root' }, '/role'], [{ name: 'a' }, '/role'], [{ name: 'a', role: 'viewer', scope: 'x' }, '/scope']] as const) {
      const res = await admin.post('/v1/tokens', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.ok(res.body.errors.some((e: { pointer: string }) => e.pointer === pointer), `${pointer} in ${res.text}`);
    }
    const keyed = await request(service.restApp).post('/v1/tokens').set('authorization', AUTH).set('idempotency-key', 'k').send({ name: 'a', role: 'viewer' });
    assert.equal(keyed.status, 400);
    assert.equal(keyed.body.code, 'idempotency_key_not_accepted');
    assert.equal((await request(service.restApp).delete('/v1/tokens/not-a-uuid').set('authorization', AUTH)).status, 404);
  });

  test('gRPC: TokenService creates, lists and revokes', async () => {
    const proto = grpc.loadPackageDefinition(packageDefinition) as any;
    const tokens = new proto.slotsmith.v1.TokenService(`127.0.0.1:${service.grpcPort}`, grpc.credentials.createInsecure());
    try {
      const created = await call(tokens, 'createToken', { name: 'grpc-viewer', role: 'viewer' });
      assert.match(created.secret, /^ssm_/);
      assert.equal(created.token.role, 'viewer');
      assert.equal(created.token.lastUsedAt, '');
      const listed = await call(tokens, 'listTokens', { pageSize: 500 });
      assert.ok(listed.tokens.some((t: { id: string }) => t.id === created.token.id));
      await assert.rejects(call(tokens, 'listTokens', {}, authMetadata(created.secret)), (err: grpc.ServiceError) => err.code === grpc.status.PERMISSION_DENIED);
      assert.deepEqual(await call(tokens, 'revokeToken', { id: created.token.id }), {});
      await assert.rejects(call(tokens, 'revokeToken', { id: created.token.id }), (err: grpc.ServiceError) => err.code === grpc.status.NOT_FOUND);
    } finally {
      tokens.close();
    }
  });
});
