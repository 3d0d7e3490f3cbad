import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { OperationView } from '../../src/contract/operationView.ts';
import type { RunningService } from '../../src/startService.ts';
import { createReadyCluster } from '../helpers/clusters.ts';
import { eventually } from '../helpers/eventually.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, withNodeClient, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';
import { viewsOf } from '../helpers/topology.ts';

/**
 * Each healing policy on a cluster where Redis alone does not heal: replicas that never fail over
 * by themselves (`cluster-replica-no-failover`), replica migration switched off
 * (`cluster-allow-replica-migration no`), and a dead node, which Redis never forgets.
 */
describe('healing policies', () => {
  let service: RunningService;
  before(async () => {
    service = await startTestService({ observeIntervalSeconds: 1 });
  });
  after(async () => {
    await service.stop();
  });
  const api = {
    get: (p: string) => request(service.restApp).get(p).set('authorization', AUTH),
    put: (p: string, b: object) => request(service.restApp).put(p).set('authorization', AUTH).send(b),
    post: (p: string, b: object) => request(service.restApp).post(p).set('authorization', AUTH).send(b),
  };
  const healerOperations = async (cluster: string): Promise<OperationView[]> =>
    ((await api.get(`/v1/operations?cluster=${cluster}`)).body.operations as OperationView[]).filter((o) => o.requestedBy === 'healer');

  describe('failover and forget', () => {
    let set: RedisNodeSet;
    before(async () => {
      set = await startRedisNodes(6, { extraConfig: { 'cluster-node-timeout': '1000', 'cluster-replica-no-failover': 'yes' } });
    });
    after(async () => set.stop());

    test('a FAIL master whose replica does not take over is failed over with FORCE, then forgotten', async () => {
      await createReadyCluster(service, 'stuck', set, 1);
      const bad = await api.put('/v1/clusters/stuck/healing', { failover: { afterSeconds: 0 }, forgetAfterSeconds: 5, cure: true });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort(), ['/cure', '/failover/afterSeconds', '/forgetAfterSeconds']);
      const set1 = await api.put('/v1/clusters/stuck/healing', { failover: { afterSeconds: 2 }, forgetAfterSeconds: 10 });
      assert.equal(set1.status, 200, set1.text);
      assert.deepEqual(set1.body, { replicaMigration: false, failover: { afterSeconds: 2, takeover: false }, forgetAfterSeconds: 10 });

      const cluster = (await api.get('/v1/clusters/stuck?refresh=true')).body;
      assert.deepEqual(cluster.spec.healing, set1.body);
      const victim = cluster.observed.nodes.find((n: { role: string }) => n.role === 'master');
      const heir = cluster.observed.nodes.find((n: { masterId: string }) => n.masterId === victim.id);
      await set.kill(set.nodes.find((n) => n.address === victim.address)!);

      const [failover] = await eventually(async () => {
        const ops = (await healerOperations('stuck')).filter((o) => o.kind === 'failover');
        return ops.length > 0 ? ops : undefined;
      }, 30_000, 250);
      const done = await waitForOperation(service.restApp, failover!.id);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      const events = (await api.get(`/v1/operations/${failover!.id}/events`)).body.events;
      assert.match(events[0].message, new RegExp(`\\(healing\\): master ${victim.address} has been FAIL for \\d+ s and no replica took over; force failover to ${heir.address}`));
      const views = await viewsOf(set.nodes.filter((n) => n.address !== victim.address).map((n) => n.address));
      for (const [address, view] of views) {
        const promoted = view.find((n) => n.id === heir.id)!;
        assert.equal(promoted.role, 'master', `${address} sees the replica as master`);
        assert.deepEqual(promoted.slots, victim.slots);
      }

      // Ten seconds after the cluster agreed on FAIL, every node forgets the dead master.
      const [forget] = await eventually(async () => {
        const ops = (await healerOperations('stuck')).filter((o) => o.kind === 'remove_node');
        return ops.length > 0 ? ops : undefined;
      }, 40_000, 250);
      assert.equal((await waitForOperation(service.restApp, forget!.id)).status, 'succeeded');
      for (const [address, view] of await viewsOf(set.nodes.filter((n) => n.address !== victim.address).map((n) => n.address))) {
        assert.ok(!view.some((n) => n.id === victim.id), `${address} forgot ${victim.address}`);
      }
      const after = (await api.get('/v1/clusters/stuck?refresh=true')).body;
      assert.ok(!after.spec.nodes.includes(victim.address), 'the spec follows');
      assert.equal(after.status.conditions.find((c: { type: string }) => c.type === 'Ready').status, 'True');
      assert.equal((await healerOperations('stuck')).length, 2, 'one operation per repair, never repeated');
    });
  });

  describe('replica migration', () => {
    let set: RedisNodeSet;
    before(async () => {
      set = await startRedisNodes(7, { extraConfig: { 'cluster-node-timeout': '1000', 'cluster-allow-replica-migration': 'no' } });
    });
    after(async () => set.stop());

    test('a master whose only replica died gets one from the master with two', async () => {
      const six = { ...set, nodes: set.nodes.slice(0, 6) };
      await createReadyCluster(service, 'orphans', six, 1);
      const masters = ((await api.get('/v1/clusters/orphans?refresh=true')).body.observed.nodes as { id: string; address: string; role: string; masterId: string | null }[]);
      const [rich, poor] = masters.filter((n) => n.role === 'master');
      const added = await api.post('/v1/clusters/orphans/nodes', { address: set.nodes[6]!.address, role: 'replica', master: rich!.address });
      assert.equal(added.status, 202, added.text);
      assert.equal((await waitForOperation(service.restApp, added.body.id)).status, 'succeeded');
      assert.equal((await api.put('/v1/clusters/orphans/healing', { replicaMigration: true })).status, 200);

      const lost = masters.find((n) => n.masterId === poor!.id)!;
      await set.kill(set.nodes.find((n) => n.address === lost.address)!);
      const [move] = await eventually(async () => {
        const ops = (await healerOperations('orphans')).filter((o) => o.kind === 'move_replica');
        return ops.length > 0 ? ops : undefined;
      }, 30_000, 250);
      assert.equal((await waitForOperation(service.restApp, move!.id)).status, 'succeeded');
      const view = (await viewsOf([poor!.address])).get(poor!.address)!;
      const following = view.filter((n) => n.masterId === poor!.id && !n.flags.includes('fail'));
      assert.equal(following.length, 1, 'the poor master has a working replica again');
      assert.ok([set.nodes[6]!.address, ...masters.filter((n) => n.masterId === rich!.id).map((n) => n.address)].includes(following[0]!.address), 'taken from the master that had two');
      await withNodeClient(set.nodes.find((n) => n.address === following[0]!.address)!, async (c) => {
        await eventually(async () => ((await c.info('replication')).includes('master_link_status:up') ? true : undefined), 10_000);
      });
    });
  });
});
