import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import request from 'supertest';
import type { RunningService } from '../../src/startService.ts';
import { createReadyCluster, observedMasters, slotCount } from '../helpers/clusters.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';
import { verifyClusterFromNodes } from '../helpers/verifyCluster.ts';

const PASSWORD = 's3cret-pass';
const KEYS = 5000;

let service: RunningService;
let set: RedisNodeSet;
before(async () => {
  service = await startTestService();
  set = await startRedisNodes(6, { password: PASSWORD });
});
after(async () => {
  await service.stop();
  await set.stop();
});

test('a cluster of password-protected nodes is created and resharded (AUTH inside MIGRATE)', async () => {
  await createReadyCluster(service, 'locked', set, 1, { password: PASSWORD });
  const masters = await observedMasters(service, 'locked');
  await loadKeys(masters, KEYS, 16, PASSWORD);
  const [a, b] = masters;
  const res = await request(service.restApp).post('/v1/clusters/locked/reshard').set('authorization', AUTH)
    .send({ to: b!.address, from: [a!.address], slots: 2000 });
  assert.equal(res.status, 202, res.text);
  const op = await waitForOperation(service.restApp, res.body.id);
  assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
  assert.ok((op.progress.keysMoved ?? 0) > 0);
  const after = await observedMasters(service, 'locked');
  assert.equal(slotCount(after.find((m) => m.id === b!.id)!.slots), slotCount(b!.slots) + 2000);
  assert.equal(await countKeys(masters.map((m) => m.address), PASSWORD), KEYS);
  await verifyClusterFromNodes(set.nodes, 3, 1, PASSWORD);
  const body = JSON.stringify((await request(service.restApp).get('/v1/clusters/locked').set('authorization', AUTH)).body);
  assert.equal(body.includes(PASSWORD), false, 'the password is never returned');
});
