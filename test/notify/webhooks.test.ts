import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { readConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { startService, type RunningService } from '../../src/startService.ts';
import { openTestPGlite } from '../helpers/pgliteTemplate.ts';
import { claimDeliveries } from '../../src/store/webhooks.ts';
import { eventually } from '../helpers/eventually.ts';
import { call, grpcClients } from '../helpers/grpcClient.ts';
import { ADMIN_TOKEN, AUTH, startTestService } from '../helpers/testService.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhookReceiver.ts';

describe('webhooks: signed, retried, in order, from a durable outbox', () => {
  let service: RunningService;
  let receiver: WebhookReceiver;
  before(async () => {
    service = await startTestService({ webhookRetryBaseMs: 100, webhookAllowedHosts: ['127.0.0.1', '*.example.com'] });
    receiver = await startWebhookReceiver();
  });
  after(async () => {
    await service.stop();
    await receiver.stop();
  });
  const api = {
    get: (p: string) => request(service.restApp).get(p).set('authorization', AUTH),
    post: (p: string, b: object = {}) => request(service.restApp).post(p).set('authorization', AUTH).send(b),
    delete: (p: string) => request(service.restApp).delete(p).set('authorization', AUTH),
  };
  const deliveriesOf = async (id: string) => (await api.get(`/v1/webhooks/${id}/deliveries`)).body.deliveries as any[];

  test('bad subscriptions are refused naming the field, before anything is stored', async () => {
    const cases: [object, string, RegExp][] = [
      [{ url: 'ftp://127.0.0.1/x', events: ['*'] }, '/url', /http or https/],
      [{ url: 'not a url', events: ['*'] }, '/url', /absolute URL/],
      [{ url: 'http://user:pw@127.0.0.1/x', events: ['*'] }, '/url', /user name or password/],
      [{ url: 'https://evil.test/x', events: ['*'] }, '/url', /WEBHOOK_ALLOWED_HOSTS/],
      [{ url: receiver.url, events: ['node_exploded'] }, '/events/0', /must be "\*" or one of/],
      [{ url: receiver.url, events: [] }, '/events', /at least one/],
      [{ url: receiver.url, events: ['*'], clusters: ['Bad_Name'] }, '/clusters/0', /lowercase/],
      [{ url: receiver.url, events: ['*'], secret: 'mine' }, '/secret', /unknown field/],
    ];
    for (const [body, pointer, reason] of cases) {
      const res = await api.post('/v1/webhooks', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
      const error = res.body.errors.find((e: { pointer: string }) => e.pointer === pointer);
      assert.ok(error, `${JSON.stringify(body)}: ${JSON.stringify(res.body.errors)}`);
      assert.match(error.reason, reason);
    }
    assert.equal((await api.post('/v1/webhooks', { url: 'https://hooks.example.com/x', events: ['*'] })).status, 201, 'a subdomain of an allowed *.example.com');
    const viewer = (await api.post('/v1/tokens', { name: 'bot', role: 'viewer' })).body.token as string;
    const denied = await request(service.restApp).post('/v1/webhooks').set('authorization', `Bearer ${viewer}`).send({ url: receiver.url, events: ['*'] });
    assert.equal(denied.status, 403);
  });

  test('the test event arrives signed per Standard Webhooks; the secret is shown once', async () => {
    const made = await api.post('/v1/webhooks', { url: receiver.url, events: ['node_failed'], clusters: ['orders'] });
    assert.equal(made.status, 201, made.text);
    assert.match(made.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(made.headers.location, `/v1/webhooks/${made.body.id}`);
    const shown = await api.get(`/v1/webhooks/${made.body.id}`);
    assert.deepEqual(shown.body, { id: made.body.id, url: receiver.url, events: ['node_failed'], clusters: ['orders'], createdBy: 'admin', createdAt: made.body.createdAt });
    assert.ok(!JSON.stringify((await api.get('/v1/webhooks')).body).includes(made.body.secret), 'never listed with its secret');

    const before = receiver.requests.length;
    const queued = await api.post(`/v1/webhooks/${made.body.id}/test`);
    assert.equal(queued.status, 202, queued.text);
    assert.equal(queued.body.status, 'pending');
    const [got] = (await receiver.waitForRequests(before + 1)).slice(before);
    const payload = receiver.verify(got!, made.body.secret);
    assert.equal(payload.type, 'webhook_test');
    assert.equal(got!.headers['webhook-id'], `evt_${payload.data.id}`);
    assert.equal(payload.data.data.webhookId, made.body.id);
    assert.throws(() => receiver.verify(got!, `whsec_${Buffer.alloc(32, 7).toString('base64')}`), /signature/i, 'another secret does not verify');
    const delivered = await eventually(async () => (await deliveriesOf(made.body.id)).find((d) => d.status === 'delivered'), 10_000);
    assert.equal(delivered.lastStatus, 200);
    assert.equal(delivered.lastResponse, 'ok');
    assert.equal(delivered.attempts, 1);
  });

  test('a failing receiver gets the same event again with backoff, and the next one only after it', async () => {
    const made = (await api.post('/v1/webhooks', { url: receiver.url, events: ['*'], clusters: ['none-such'] })).body;
    const start = receiver.requests.length;
    // The first two attempts of the first event fail; everything after succeeds.
    receiver.respondWith((_r, i) => (i - start < 2 ? 503 : 200));
    await api.post(`/v1/webhooks/${made.id}/test`);
    await api.post(`/v1/webhooks/${made.id}/test`);
    const got = (await receiver.waitForRequests(start + 4)).slice(start);
    receiver.respondWith(() => 200);
    const ids = got.map((r) => r.headers['webhook-id']);
    assert.equal(ids[0], ids[1], 'a retry carries the same webhook-id');
    assert.equal(ids[1], ids[2]);
    assert.notEqual(ids[2], ids[3], 'the second event comes after the first was delivered');
    for (const r of got) receiver.verify(r, made.secret);
    const deliveries = await eventually(async () => {
      const all = await deliveriesOf(made.id);
      return all.every((d) => d.status === 'delivered') ? all : undefined;
    }, 10_000);
    assert.deepEqual(deliveries.map((d) => d.attempts), [1, 3], 'newest first: the second took one attempt, the first three');
    assert.equal((await api.delete(`/v1/webhooks/${made.id}`)).status, 204);
    assert.equal((await api.get(`/v1/webhooks/${made.id}`)).status, 404);
  });

  test('gRPC: WebhookService creates, lists, tests and deletes', async () => {
    const clients = grpcClients(service.grpcPort!);
    const created = await call(clients.webhooks, 'createWebhook', { url: receiver.url, events: ['*'] });
    assert.match(created.secret, /^whsec_/);
    assert.deepEqual(created.webhook.clusters ?? [], []);
    const listed = await call(clients.webhooks, 'listWebhooks', {});
    assert.ok(listed.webhooks.some((w: { id: string }) => w.id === created.webhook.id));
    const before = receiver.requests.length;
    await call(clients.webhooks, 'testWebhook', { id: created.webhook.id });
    receiver.verify((await receiver.waitForRequests(before + 1))[before]!, created.secret);
    const deliveries = await eventually(async () => {
      const page = await call(clients.webhooks, 'listDeliveries', { id: created.webhook.id });
      return page.deliveries?.[0]?.status === 'delivered' ? page.deliveries : undefined;
    }, 10_000);
    assert.equal(deliveries[0].lastStatus, 200);
    await call(clients.webhooks, 'deleteWebhook', { id: created.webhook.id });
    await assert.rejects(call(clients.webhooks, 'getWebhook', { id: created.webhook.id }), /NOT_FOUND|does not exist/);
    await assert.rejects(call(clients.webhooks, 'createWebhook', { url: 'gopher://127.0.0.1/', events: ['*'] }), /url.*http or https/);
    clients.close();
  });
});

describe('the outbox survives a restart and a dead deliverer', () => {
  test('an event queued while the receiver is down is delivered by the next process', async () => {
    const db = await openTestPGlite();
    const config = readConfig({ SLOTSMITH_ADMIN_TOKEN: ADMIN_TOKEN, PORT: '0', GRPC_PORT: '0', HOST: '127.0.0.1', WEBHOOK_RETRY_BASE_MS: '100' }, []);
    const receiver = await startWebhookReceiver();
    try {
      const first = await startService({ config, log: silentLogger, announceToken: () => undefined, db });
      const made = (await request(first.restApp).post('/v1/webhooks').set('authorization', AUTH).send({ url: receiver.url, events: ['*'] })).body;
      receiver.respondWith(() => 500);
      await request(first.restApp).post(`/v1/webhooks/${made.id}/test`).set('authorization', AUTH);
      await receiver.waitForRequests(1);
      await first.stop();
      receiver.respondWith(() => 200);
      const second = await startService({ config, log: silentLogger, announceToken: () => undefined, db });
      try {
        const got = await eventually(async () => receiver.requests.find((r, i) => i > 0 && r.headers['webhook-id'] === receiver.requests[0]!.headers['webhook-id']), 10_000);
        receiver.verify(got, made.secret);
      } finally {
        await second.stop();
      }
    } finally {
      await receiver.stop();
      await db.close();
    }
  });

  test('a delivery leased by a deliverer that died is leased again once its lease lapses', async () => {
    const db = await openTestPGlite();
    const { migrate } = await import('../../src/store/migrate.ts');
    await migrate(db);
    try {
      const { insertWebhook, enqueueTestDelivery } = await import('../../src/store/webhooks.ts');
      const webhook = await insertWebhook(db, { url: 'http://127.0.0.1:9/x', secret: 'whsec_x', eventTypes: ['*'], clusters: null, createdBy: 'test' });
      await enqueueTestDelivery(db, webhook, 'test');
      const [taken] = await claimDeliveries(db, 'dead-process', 1, 10);
      assert.equal(taken?.attempts, 1);
      assert.deepEqual(await claimDeliveries(db, 'live-process', 1, 10), [], 'not while the lease lasts');
      const again = await eventually(async () => (await claimDeliveries(db, 'live-process', 1, 10))[0], 5_000, 100);
      assert.equal(again.id, taken!.id);
      assert.equal(again.attempts, 2);
    } finally {
      await db.close();
    }
  });
});
