import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { OperationView } from '../../src/contract/operationView.ts';
import type { RunningService } from '../../src/startService.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { createReadyCluster, observedMasters, slotCount } from '../helpers/clusters.ts';
import { eventually } from '../helpers/eventually.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, withNodeClient, type RedisNodeSet, type TestServer } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';

const KEYS = 15_000;

/**
 * The servers keep their migration jobs in memory only: a source restarted mid-job has forgotten
 * it (Valkey: the job is missing; Redis: the target's task fails). The step must see that, read the
 * slot map, and move only what did not move, with a new job (valkey-io/valkey
 * tests/unit/cluster/cluster-migrateslots.tcl, "source restarts during migration").
 */
for (const server of ['valkey9', 'redis8'] as const satisfies readonly TestServer[]) {
  describe(`a source node restarted during an atomic reshard on ${server}`, () => {
    let service: RunningService;
    let set: RedisNodeSet;
    before(async () => {
      service = await startTestService();
      // With an append-only file, so the restarted source comes back with its keys.
      set = await startRedisNodes(3, { server, extraConfig: { appendonly: 'yes', appendfsync: 'always' } });
      await createReadyCluster(service, 'r', set, 0);
      await loadKeys(await observedMasters(service, 'r'), KEYS, 64);
    });
    after(async () => {
      await service?.stop();
      await set?.stop();
    });

    test('the lost job is retried for the slots that did not move; nothing lost, nothing open', async () => {
      const [a, b] = await observedMasters(service, 'r');
      const source = set.nodes.find((n) => n.address === a!.address)!;
      await withNodeClient(source, (c) => c.call('CONFIG', 'SET', 'rdb-key-save-delay', '1000'));
      const res = await request(service.restApp).post('/v1/clusters/r/reshard').set('authorization', AUTH).send({ to: b!.id, from: [a!.id], slots: slotCount(a!.slots) - 10, migration: 'atomic' });
      assert.equal(res.status, 202, res.text);
      const getOp = async () => (await request(service.restApp).get(`/v1/operations/${res.body.id}`).set('authorization', AUTH)).body as OperationView;
      await eventually(async () => ((await getOp()).steps.find((s) => s.kind === 'move_slots')?.jobs?.[0]?.state === 'running' ? true : undefined), 20_000, 20);

      await set.kill(source);
      await set.restart(source); // comes back without the job, and without the slow snapshot setting
      const op = await waitForOperation(service.restApp, res.body.id, 120_000);
      assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
      const jobs = op.steps.find((s) => s.kind === 'move_slots')!.jobs!;
      assert.ok(jobs.length >= 2, JSON.stringify(jobs));
      assert.ok(['failed', 'missing'].includes(jobs[0]!.state), `the first job ended ${jobs[0]!.state}`);
      assert.equal(jobs.at(-1)!.state, 'succeeded');
      assert.equal(jobs.at(-1)!.attempt, jobs.length);

      const addresses = set.nodes.map((n) => n.address);
      assert.equal(await countKeys(addresses), KEYS);
      await assertClusterSettled(addresses);
      const masters = await observedMasters(service, 'r');
      assert.equal(slotCount(masters.find((m) => m.id === b!.id)!.slots), slotCount(b!.slots) + slotCount(a!.slots) - 10);
    });
  });
}
