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

test('a run\'s look at the settled nodes is stored stamped just after the operation\'s end as stored, not when the store happens', async () => {
  const stored: { cluster: string; at: Date; storedAt: Date }[] = [];
  const observing = startWorker({
    db, workerId: 'w2', leaseSeconds: 30, pollIntervalMs: 60_000, concurrency: 1, log: silentLogger,
    observe: async (cluster, observed, at) => {
      observed.catch(() => undefined);
      // A store that comes late: the stamp must not move with it.
      await new Promise((resolve) => setTimeout(resolve, 20));
      stored.push({ cluster: cluster.name, at, storedAt: new Date() });
    },
  });
  try {
    const { operation: create } = await insertClusterWithOperation(db, newCluster('c2', ['c2:1']));
    assert.ok(await claimQueuedOperation(db, 'other', 30, create));
    assert.ok(await finishOperation(db, create.id, 'other', { status: 'succeeded', error: null, steps: sampleSteps(), progress: sampleProgress() }));
    const reservation = observing.reserve()!;
    const steps: Step[] = sampleSteps().map((s) => ({ ...s, status: 'succeeded' }));
    const { operation } = await insertPlannedOperation(db, {
      clusterId: create.clusterId, clusterName: 'c2', kind: 'reshard', steps, progress: sampleProgress(), requestedBy: 'tester',
      event: { type: 'operation_queued', message: 'reshard' },
    }, 0, reservation);
    observing.wake({ operation, reservation });
    reservation.release();
    await eventually(async () => (stored.length > 0 ? true : undefined), 10_000, 10);
    assert.equal(stored.length, 1);
    const ended = (await getOperation(db, operation.id))!;
    assert.equal(ended.status, 'succeeded');
    // The end as stored, to the next millisecond: the database keeps microseconds, a Date milliseconds.
    assert.equal(stored[0]!.at.getTime(), ended.finishedAt!.getTime() + 1);
    assert.ok(stored[0]!.storedAt.getTime() > stored[0]!.at.getTime() + 10, 'stored later than it is stamped');
  } finally {
    await observing.stop();
  }
});
