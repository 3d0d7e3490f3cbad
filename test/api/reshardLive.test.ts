import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import request from 'supertest';
import type { RunningService } from '../../src/startService.ts';
import type { OperationView } from '../../src/contract/operationView.ts';
import { createReadyCluster, observedMasters } from '../helpers/clusters.ts';
import { assertAcknowledgedWrites, startClusterWriter, type WriterResult } from '../helpers/clusterWriter.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';

const KEYS = 40_000;

describe('reshard under traffic, and cancel', () => {
  let service: RunningService;
  let set: RedisNodeSet;
  let addresses: string[];
  before(async () => {
    service = await startTestService();
    set = await startRedisNodes(3);
    addresses = set.nodes.map((n) => n.address);
    await createReadyCluster(service, 'live', set, 0);
    await loadKeys(await observedMasters(service, 'live'), KEYS, 32);
  });
  after(async () => {
    await service.stop();
    await set.stop();
  });

  const getOp = async (id: string) => (await request(service.restApp).get(`/v1/operations/${id}`).set('authorization', AUTH)).body as OperationView;

  test('a cluster client keeps writing and reading; every acknowledged write survives', async () => {
    const [a, b] = await observedMasters(service, 'live');
    const client = new Cluster([{ host: set.nodes[0]!.host, port: set.nodes[0]!.port }], { maxRedirections: 64, retryDelayOnTryAgain: 20 });
    // Keys spread over many slots, including the ones that move (slots 0..4999 on a).
    const writer = startClusterWriter(client, 'live');
    let written: WriterResult;
    try {
      await delay(0);
      const res = await request(service.restApp).post('/v1/clusters/live/reshard').set('authorization', AUTH)
        .send({ to: b!.id, from: [a!.id], slots: 5000 });
      assert.equal(res.status, 202, res.text);
      // The embedded store's only writer inserts it already claimed: the cluster is idle.
      assert.equal(res.body.status, 'running');
      const op = await waitForOperation(service.restApp, res.body.id);
      assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
      assert.equal(op.progress.slotsMoved, 5000);
    } finally {
      written = await writer.stop();
    }
    try {
      assert.ok(written.writes > 0);
      assert.equal(written.readMismatches, 0, 'a read right after an acknowledged write saw another value');
      await assertAcknowledgedWrites(client, written);
    } finally {
      client.disconnect();
    }
    assert.equal(await countKeys(addresses), KEYS + written.acknowledged.size);
  });

  test('cancel stops a running reshard at a safe point: no slot open, no key lost', async () => {
    const keysBefore = await countKeys(addresses);
    const masters = await observedMasters(service, 'live');
    const source = masters.find((m) => m.slots.length > 0)!;
    const target = masters.find((m) => m.id !== source.id)!;
    // Hold the source's writes so the reshard is surely in flight when the cancel arrives.
    const sourceNode = set.nodes.find((n) => n.address === source.address)!;
    const pauser = new Redis({ host: sourceNode.host, port: sourceNode.port });
    try {
      await pauser.call('CLIENT', 'PAUSE', '20000', 'WRITE');
      const res = await request(service.restApp).post('/v1/clusters/live/reshard').set('authorization', AUTH)
        .send({ to: target.id, from: [source.id], slots: 3000 });
      assert.equal(res.status, 202, res.text);
      for (let op = await getOp(res.body.id); op.progress.currentStep !== '2-move_slots'; op = await getOp(res.body.id)) {
        assert.ok(op.status === 'queued' || op.status === 'running', `unexpected ${op.status}`);
        await delay(20);
      }
      const cancel = await request(service.restApp).post(`/v1/operations/${res.body.id}/cancel`).set('authorization', AUTH);
      assert.equal(cancel.status, 202, cancel.text);
      assert.equal(cancel.body.status, 'cancelling');
      await pauser.call('CLIENT', 'UNPAUSE');
      const op = await waitForOperation(service.restApp, res.body.id);
      assert.equal(op.status, 'cancelled', JSON.stringify(op));
      assert.equal(op.error, null);
      assert.ok((op.progress.slotsMoved ?? 0) < 3000, `stopped early: ${op.progress.slotsMoved} slots moved`);
      assert.equal(op.steps.find((s) => s.kind === 'move_slots')!.status, 'skipped');
      const events = await request(service.restApp).get(`/v1/operations/${res.body.id}/events`).set('authorization', AUTH);
      assert.ok(events.body.events.some((e: { type: string }) => e.type === 'operation_cancelled'));
    } finally {
      await pauser.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      pauser.disconnect();
    }
    const check = await request(service.restApp).get('/v1/clusters/live/check').set('authorization', AUTH);
    assert.equal(check.body.ok, true, JSON.stringify(check.body));
    assert.equal(await countKeys(addresses), keysBefore);
  });
});
