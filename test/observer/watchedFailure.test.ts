import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { ClusterView } from '../../src/contract/clusterView.ts';
import type { RunningService } from '../../src/startService.ts';
import { createReadyCluster } from '../helpers/clusters.ts';
import { eventually } from '../helpers/eventually.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { openEventStream, type SseMessage } from '../helpers/sseClient.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../helpers/webhookReceiver.ts';

const condition = (cluster: ClusterView, type: string) => cluster.status.conditions.find((c) => c.type === type)?.status;

/**
 * Issue 9's acceptance: a master of a watched 3x1 cluster dies. The observer sees the cluster
 * agree on FAIL and the replica take over, says so by signed webhooks and in the event feed, shows
 * the cluster Degraded meanwhile, and Ready again once the old master is back as a replica.
 */
describe('a watched cluster loses a master', () => {
  let service: RunningService;
  let set: RedisNodeSet;
  let receiver: WebhookReceiver;
  before(async () => {
    service = await startTestService({ observeIntervalSeconds: 1, webhookRetryBaseMs: 100 });
    // A short node timeout, so the cluster agrees on FAIL and fails over within seconds.
    set = await startRedisNodes(6, { extraConfig: { 'cluster-node-timeout': '1000' } });
    receiver = await startWebhookReceiver();
  });
  after(async () => {
    await service.stop();
    await set.stop();
    await receiver.stop();
  });
  const get = async (): Promise<ClusterView> => {
    const res = await request(service.restApp).get('/v1/clusters/watched').set('authorization', AUTH);
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  const webhookOf = (type: string, node: string) => (r: ReceivedRequest) => r.json?.type === type && r.json.data.nodes.includes(node);

  test('node_failed and failover_observed are pushed signed, Degraded meanwhile, Ready once it is back; a resumed stream misses nothing', async () => {
    const hook = await request(service.restApp).post('/v1/webhooks').set('authorization', AUTH)
      .send({ url: receiver.url, events: ['node_failed', 'failover_observed', 'node_recovered'], clusters: ['watched'] });
    assert.equal(hook.status, 201, hook.text);
    await createReadyCluster(service, 'watched', set, 1);
    const ready = await eventually(async () => {
      const c = await get();
      return condition(c, 'Ready') === 'True' && condition(c, 'Degraded') === 'False' ? c : undefined;
    }, 20_000);
    assert.ok(ready.observed!.ageSeconds >= 0);
    const victim = ready.observed!.nodes.find((n) => n.role === 'master')!;
    const heir = ready.observed!.nodes.find((n) => n.role === 'replica' && n.masterId === victim.id)!;
    const baseUrl = `http://127.0.0.1:${service.restPort}`;
    const live = await openEventStream(`${baseUrl}/v1/events?cluster=watched`, AUTH);

    await set.kill(set.nodes.find((n) => n.address === victim.address)!);
    const failed = await eventually(async () => receiver.requests.find(webhookOf('node_failed', victim.address)), 30_000);
    const payload = receiver.verify(failed, hook.body.secret);
    assert.equal(payload.data.cluster, 'watched');
    assert.match(payload.data.message, new RegExp(`^watched: master ${victim.address} failed \\(the cluster agrees`));

    // The stream goes away after its first event and comes back from the last id it saw.
    const [first] = await live.waitFor(1);
    live.close();
    const degraded = await get();
    assert.equal(condition(degraded, 'Degraded'), 'True', JSON.stringify(degraded.status));
    assert.equal(condition(degraded, 'Ready'), 'False');
    assert.ok(degraded.observed!.nodes.find((n) => n.id === victim.id)!.health.failed, 'the node shows FAIL as the others see it');

    const tookOver = await eventually(async () => receiver.requests.find(webhookOf('failover_observed', heir.address)), 30_000);
    receiver.verify(tookOver, hook.body.secret);
    assert.ok(receiver.requests.indexOf(failed) < receiver.requests.indexOf(tookOver), 'in order');
    const resumed = await openEventStream(`${baseUrl}/v1/events?cluster=watched`, AUTH, first!.id);

    await set.restart(set.nodes.find((n) => n.address === victim.address)!);
    const back = await eventually(async () => {
      const c = await get();
      return condition(c, 'Ready') === 'True' && condition(c, 'Degraded') === 'False' ? c : undefined;
    }, 60_000, 250);
    const old = back.observed!.nodes.find((n) => n.id === victim.id)!;
    assert.equal(old.role, 'replica');
    assert.equal(old.masterId, heir.id);
    await eventually(async () => receiver.requests.find(webhookOf('node_recovered', victim.address)), 10_000);

    // Every event of the cluster after the first one the stream saw reached the resumed stream.
    const log = (await request(service.restApp).get(`/v1/events?cluster=watched&after=${first!.id}&pageSize=500`).set('authorization', AUTH)).body.events as { id: string; type: string }[];
    const seen = await resumed.waitFor(log.length);
    resumed.close();
    assert.deepEqual(seen.slice(0, log.length).map((m: SseMessage) => m.id), log.map((e) => e.id));
    assert.deepEqual(seen.slice(0, log.length).map((m) => m.event), log.map((e) => e.type));
    for (const type of ['node_failed', 'failover_observed', 'node_recovered']) assert.ok(log.some((e) => e.type === type) || first!.event === type, `${type} in ${JSON.stringify(log.map((e) => e.type))}`);
  });
});
