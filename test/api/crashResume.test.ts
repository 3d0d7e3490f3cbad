import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rangesToSlots } from '../../src/domain/slotSet.ts';
import { findOpenSlots } from '../../src/redis/closeOpenSlots.ts';
import { observeCluster } from '../../src/redis/observeCluster.ts';
import type { ClusterView } from '../../src/contract/clusterView.ts';
import type { OperationView } from '../../src/contract/operationView.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { ownersFromNodes } from '../helpers/clusters.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';
import {
  claimsOf, createDataDir, createPostgresDatabase, isFinal, operationEvents, startServiceProcess, waitForOperationState,
  type ServiceProcess,
} from '../helpers/serviceProcess.ts';

const KEYS = 30_000;
const VALUE_BYTES = 64;
const SLOTS = 8000;

interface PlannedMove {
  from: { id: string; address: string };
  to: { id: string; address: string };
  slots: [number, number][];
}

/** The slot owners a dry-run plan leads to, from the owners the nodes report now. */
async function ownersAfterPlan(addresses: readonly string[], moves: readonly PlannedMove[]): Promise<string[]> {
  const owners = await ownersFromNodes(addresses);
  for (const m of moves) for (const slot of rangesToSlots(m.slots)) owners[slot] = m.to.id;
  return owners;
}

/** Waits until the operation has moved some slots but not most of them; fails if it ends first. */
function waitMidway(service: ServiceProcess, id: string, slotsTotal: number): Promise<OperationView> {
  return waitForOperationState(service, id, (op) => {
    if (isFinal(op)) throw new Error(`the operation ended (${op.status}) before it could be interrupted; throttle it more`);
    const moved = op.progress.slotsMoved ?? 0;
    return moved > 0 && moved < slotsTotal * 0.6;
  }, { what: 'some but not most slots moved' });
}

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`a reshard survives the death of its service and resumes on restart [${backend}]`, () => {
    const replicasPerShard = backend === 'pglite' ? 0 : 1;
    let set: RedisNodeSet;
    let database: { location: { dataDir: string } | { databaseUrl: string }; dispose(): Promise<void> };
    const services: ServiceProcess[] = [];
    /** The service process alive now (each test leaves one running on the same database). */
    let current: ServiceProcess;
    let masterAddresses: string[];
    let allAddresses: string[];

    const start = async (workerId: string): Promise<ServiceProcess> => {
      const svc = await startServiceProcess({ ...database.location, workerId, leaseSeconds: 3 });
      services.push(svc);
      return svc;
    };

    /** The cluster as the nodes report it after a resumed operation: all keys, nothing open, slots as planned. */
    const assertSettledAsPlanned = async (expectedOwners: readonly string[]) => {
      assert.equal(await countKeys(masterAddresses), KEYS);
      const check = await current.api('GET', '/v1/clusters/crash/check');
      assert.equal(check.status, 200);
      assert.equal(check.body.ok, true, JSON.stringify(check.body));
      assert.deepEqual(check.body.openSlots, []);
      await assertClusterSettled(allAddresses);
      const owners = await ownersFromNodes(allAddresses);
      const wrong = owners.flatMap((owner, slot) => (owner === expectedOwners[slot] ? [] : [slot]));
      assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} slots are not where the plan put them`);
    };

    before(async () => {
      set = await startRedisNodes(3 * (1 + replicasPerShard));
      allAddresses = set.nodes.map((n) => n.address);
      if (backend === 'pglite') {
        const dir = await createDataDir();
        database = { location: { dataDir: dir.dir }, dispose: dir.dispose };
      } else {
        const db = await createPostgresDatabase();
        database = { location: { databaseUrl: db.url! }, dispose: db.dispose };
      }
      current = await start(`${backend}-1`);
      const created = await current.api('POST', '/v1/clusters', { name: 'crash', nodes: allAddresses, replicasPerShard });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      const createOp = await waitForOperationState(current, created.body.id, isFinal, { what: 'a final status' });
      assert.equal(createOp.status, 'succeeded', JSON.stringify(createOp.error));
      const cluster = (await current.api<ClusterView>('GET', '/v1/clusters/crash')).body;
      const masters = cluster.observed!.nodes.filter((n) => n.role === 'master');
      masterAddresses = masters.map((m) => m.address);
      await loadKeys(masters, KEYS, VALUE_BYTES);
      assert.equal(await countKeys(masterAddresses), KEYS);
    });
    after(async () => {
      await Promise.all(services.map((s) => s.stop()));
      await set?.stop();
      await database?.dispose();
    });

    test('SIGKILL mid-way, restart, the same operation completes with nothing lost', async (t) => {
      const first = current;
      const cluster = (await first.api<ClusterView>('GET', '/v1/clusters/crash')).body;
      const target = cluster.observed!.nodes.filter((n) => n.role === 'master').sort((a, b) => a.slots[0]![0] - b.slots[0]![0])[2]!;
      // Throttled so that the move lasts seconds, however fast the nodes are: the kill lands mid-way.
      const body = { to: target.address, slots: SLOTS, maxKeysPerSecond: 6000 };
      // The plan is frozen when the operation is created and the planner is pure: the dry run shows what will run.
      const plan = await first.api('POST', '/v1/clusters/crash/reshard', { ...body, dryRun: true });
      assert.equal(plan.status, 200, JSON.stringify(plan.body));
      assert.equal(plan.body.slotsTotal, SLOTS);
      const moves = plan.body.moves as PlannedMove[];
      const expectedOwners = await ownersAfterPlan(allAddresses, moves);

      const queued = await first.api<OperationView>('POST', '/v1/clusters/crash/reshard', body);
      assert.equal(queued.status, 202, JSON.stringify(queued.body));
      const id = queued.body.id;
      const midway = await waitMidway(first, id, SLOTS);
      const exit = await first.kill('SIGKILL');
      assert.equal(exit.signal, 'SIGKILL');

      // The nodes themselves show an unfinished move: some planned slots at the target, not all.
      const ownersAtKill = await ownersFromNodes(allAddresses);
      const atTarget = moves.flatMap((m) => rangesToSlots(m.slots)).filter((s) => ownersAtKill[s] === target.id).length;
      const openAtKill = findOpenSlots((await observeCluster(allAddresses)).nodes);
      t.diagnostic(`killed at progress ${midway.progress.slotsMoved}/${SLOTS}; nodes: ${atTarget} planned slots at the target, ${openAtKill.length} slots open`);
      assert.ok(atTarget > 0 && atTarget < SLOTS, `${atTarget} of ${SLOTS} planned slots at the target`);
      assert.equal(await countKeys(masterAddresses), KEYS, 'a kill between MIGRATEs loses no key');

      current = await start(`${backend}-2`);
      const done = await waitForOperationState(current, id, isFinal, { what: 'a final status' });
      assert.equal(done.status, 'succeeded', `${JSON.stringify(done.error)}\n${current.output().slice(-3000)}`);
      assert.equal(done.progress.slotsMoved, SLOTS);
      assert.equal(done.progress.slotsTotal, SLOTS);
      assert.deepEqual(done.steps.map((s) => `${s.kind} ${s.status}`), ['check_cluster', 'move_slots', 'wait_converged', 'record_slots'].map((k) => `${k} succeeded`));
      t.diagnostic(`keysMoved reported ${done.progress.keysMoved} of ${plan.body.keysTotal} planned; step: ${done.steps[1]!.detail}`);
      assert.deepEqual(claimsOf(await operationEvents(current, id)), [
        { type: 'operation_started', workerId: first.workerId, attempt: 1 },
        { type: 'operation_resumed', workerId: current.workerId, attempt: 2 },
      ]);
      await assertSettledAsPlanned(expectedOwners);
    });

    test('SIGTERM mid-way stops at a safe point (no slot open) and a restart finishes the operation', async () => {
      const stopped = current;
      const throttle = { maxKeysPerSecond: 6000 };
      const plan = await stopped.api('POST', '/v1/clusters/crash/rebalance', { ...throttle, dryRun: true });
      assert.equal(plan.status, 200, JSON.stringify(plan.body));
      assert.ok(plan.body.slotsTotal > 2000, `rebalance moves only ${plan.body.slotsTotal} slots`);
      const expectedOwners = await ownersAfterPlan(allAddresses, plan.body.moves as PlannedMove[]);

      const queued = await stopped.api<OperationView>('POST', '/v1/clusters/crash/rebalance', throttle);
      assert.equal(queued.status, 202, JSON.stringify(queued.body));
      const id = queued.body.id;
      await waitMidway(stopped, id, plan.body.slotsTotal);
      const exit = await stopped.stop(); // SIGTERM; SIGKILL only if it has not ended within 10 s
      assert.deepEqual(exit, { code: 0, signal: null }, stopped.output().slice(-3000));
      assert.deepEqual(findOpenSlots((await observeCluster(allAddresses)).nodes), [], 'a graceful stop leaves no slot open');
      assert.equal(await countKeys(masterAddresses), KEYS);

      current = await start(`${backend}-3`);
      const done = await waitForOperationState(current, id, isFinal, { what: 'a final status' });
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.equal(done.progress.slotsMoved, plan.body.slotsTotal);
      assert.deepEqual(claimsOf(await operationEvents(current, id)), [
        { type: 'operation_started', workerId: stopped.workerId, attempt: 1 },
        { type: 'operation_resumed', workerId: current.workerId, attempt: 2 },
      ]);
      await assertSettledAsPlanned(expectedOwners);
    });
  });
}
