import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Step } from '../../src/domain/operation.ts';
import { silentLogger } from '../../src/logger.ts';
import { getClusterById, insertClusterWithOperation } from '../../src/store/clusters.ts';
import type { Database } from '../../src/store/database.ts';
import { migrate } from '../../src/store/migrate.ts';
import { claimQueuedOperation, finishOperation, getOperation, insertPlannedOperation } from '../../src/store/operations.ts';
import { startWorker, type RunningWorker } from '../../src/worker/worker.ts';
import { eventually } from '../helpers/eventually.ts';
import { openTestPGlite } from '../helpers/pgliteTemplate.ts';
import { newCluster, sampleProgress, sampleSteps } from '../store/fixtures.ts';

let db: Database;
let worker: RunningWorker;

before(async () => {
  db = await openTestPGlite();
  await migrate(db);
  // Polls rarely: an operation that runs here was started by `wake`, not found by a claim.
  worker = startWorker({ db, workerId: 'w1', leaseSeconds: 30, pollIntervalMs: 60_000, concurrency: 1, log: silentLogger });
});
after(async () => {
  await worker.stop();
  await db.close();
});

test('an operation inserted claimed for the worker runs at once on its reservation, which holds its place meanwhile', async () => {
  const { operation: create } = await insertClusterWithOperation(db, newCluster('c1', ['c1:1']));
  assert.ok(await claimQueuedOperation(db, 'other', 30, create));
  assert.ok(await finishOperation(db, create.id, 'other', { status: 'succeeded', error: null, steps: sampleSteps(), progress: sampleProgress() }));

  const reservation = worker.reserve();
  assert.ok(reservation, 'an idle worker has room');
  assert.equal(reservation.workerId, 'w1');
  assert.equal(worker.reserve(), null, 'concurrency 1: the reservation takes the only place');
  // Steps that already ran: the run has nothing to ask of any node and ends at once.
  const steps: Step[] = sampleSteps().map((s) => ({ ...s, status: 'succeeded' }));
  const { operation } = await insertPlannedOperation(db, {
    clusterId: create.clusterId, clusterName: 'c1', kind: 'reshard', steps, progress: sampleProgress(), requestedBy: 'tester',
    event: { type: 'operation_queued', message: 'reshard' },
  }, 0, reservation);
  assert.equal(operation.status, 'running');
  const cluster = (await getClusterById(db, create.clusterId))!;
  worker.wake({ operation, reservation, planned: { cluster, look: { nodes: [], unreachable: [], reached: [], views: [] } } });
  reservation.release();
  const ended = await eventually(async () => {
    const op = await getOperation(db, operation.id);
    assert.equal(op?.status, 'succeeded');
    return op!;
  }, 10_000, 10);
  assert.equal(ended.attempts, 1, 'run once, without another claim');
  const again = worker.reserve();
  assert.ok(again, 'the place is free again once the run ended');
  again.release();
  again.release();
  const third = worker.reserve();
  assert.ok(third, 'a reservation given back twice frees its place once');
  assert.equal(worker.reserve(), null);
  third.release();
});
