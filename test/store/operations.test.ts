import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OperationError } from '../../src/domain/operation.ts';
import { insertClusterWithOperation } from '../../src/store/clusters.ts';
import {
  claimNextOperation, claimQueuedOperation, finishOperation, getOperation, insertPlannedOperation, listOperations, recordRun, renewLease, requestCancel,
} from '../../src/store/operations.ts';
import type { OperationRecord } from '../../src/store/records.ts';
import { listEvents } from '../../src/store/events.ts';
import { insertWebhook, listDeliveries } from '../../src/store/webhooks.ts';
import { describeEachBackend } from './backends.ts';
import { expireLease, newCluster, queueOperation, sampleProgress, sampleSteps } from './fixtures.ts';

const LEASE = 30;
const done = { status: 'succeeded' as const, error: null, steps: sampleSteps(), progress: sampleProgress() };

describeEachBackend('operations', (ctx) => {
  async function createCluster(name: string): Promise<OperationRecord> {
    return (await insertClusterWithOperation(ctx.db, newCluster(name, [`${name}:1`]))).operation;
  }

  test('claims the oldest queued operation and leases it', async () => {
    const first = await createCluster('c1');
    await createCluster('c2');
    const claimed = await claimNextOperation(ctx.db, 'w1', LEASE);
    assert.ok(claimed);
    assert.equal(claimed.id, first.id);
    assert.equal(claimed.status, 'running');
    assert.equal(claimed.lockedBy, 'w1');
    assert.equal(claimed.attempts, 1);
    assert.ok(claimed.startedAt instanceof Date);
    assert.ok(claimed.leaseExpiresAt instanceof Date);
    const leaseMs = claimed.leaseExpiresAt.getTime() - claimed.startedAt.getTime();
    assert.ok(Math.abs(leaseMs - LEASE * 1000) < 5, `lease of ${leaseMs} ms`);
    assert.deepEqual(claimed.steps, sampleSteps(), 'JSON comes back unchanged through raw SQL too');
    assert.ok(claimed.updatedAt.getTime() >= first.updatedAt.getTime());
    assert.deepEqual(await getOperation(ctx.db, first.id), claimed);
  });

  test('claims an operation this process just queued by itself, under the same rule as the oldest', async () => {
    const first = await createCluster('c1');
    const claimed = await claimQueuedOperation(ctx.db, 'w1', LEASE, first);
    assert.ok(claimed);
    assert.deepEqual(claimed, await getOperation(ctx.db, first.id), 'the record as claimed is the one stored');
    assert.equal(claimed.status, 'running');
    assert.equal(claimed.attempts, 1);
    assert.equal(await claimQueuedOperation(ctx.db, 'w2', LEASE, first), null, 'a claimed operation is not claimed again');
    const behind = await getOperation(ctx.db, await queueOperation(ctx.db, first.clusterId, 'c1'));
    assert.equal(await claimQueuedOperation(ctx.db, 'w2', LEASE, behind!), null, 'not while another operation of its cluster runs');
    assert.ok(await finishOperation(ctx.db, first.id, 'w1', done));
    assert.equal((await claimQueuedOperation(ctx.db, 'w2', LEASE, behind!))?.lockedBy, 'w2', 'once it ended');
  });

  test('an operation planned from a look is told whether its cluster was left alone since', async () => {
    const created = await createCluster('c1');
    const input = { clusterId: created.clusterId, clusterName: 'c1', kind: 'reshard' as const, steps: sampleSteps(), progress: sampleProgress(), requestedBy: 'tester', event: { type: 'operation_queued', message: 'reshard' } };
    const first = await insertPlannedOperation(ctx.db, input, 0);
    assert.equal(first.leftAlone, false, 'the create is still queued');
    assert.equal(first.operation.status, 'queued');
    const runToEnd = async (op: OperationRecord) => {
      assert.ok(await claimQueuedOperation(ctx.db, 'w1', LEASE, (await getOperation(ctx.db, op.id))!));
      assert.ok(await finishOperation(ctx.db, op.id, 'w1', done));
    };
    await runToEnd(created);
    await runToEnd(first.operation);
    const later = await insertPlannedOperation(ctx.db, input, 60_000);
    assert.equal(later.leftAlone, false, 'operations ended after the look');
    await runToEnd(later.operation);
    // Everything ended before a look that started just now.
    const alone = await insertPlannedOperation(ctx.db, input, 0);
    assert.equal(alone.leftAlone, true);
  });

  test('an operation inserted claimed for a worker runs at once when its cluster is idle, and queues behind an unfinished one', async () => {
    const created = await createCluster('c1');
    const input = { clusterId: created.clusterId, clusterName: 'c1', kind: 'reshard' as const, steps: sampleSteps(), progress: sampleProgress(), requestedBy: 'tester', event: { type: 'operation_queued', message: 'reshard' } };
    const behind = await insertPlannedOperation(ctx.db, input, 0, { workerId: 'w1', leaseSeconds: LEASE });
    assert.equal(behind.operation.status, 'queued', 'the create is unfinished');
    assert.equal(behind.operation.lockedBy, null);
    assert.equal(behind.operation.attempts, 0);
    assert.equal(behind.operation.startedAt, null);
    for (const op of [created, behind.operation]) {
      assert.ok(await claimQueuedOperation(ctx.db, 'w1', LEASE, (await getOperation(ctx.db, op.id))!));
      assert.ok(await finishOperation(ctx.db, op.id, 'w1', done));
    }
    const { operation } = await insertPlannedOperation(ctx.db, input, 0, { workerId: 'w1', leaseSeconds: LEASE });
    assert.equal(operation.status, 'running');
    assert.equal(operation.lockedBy, 'w1');
    assert.equal(operation.attempts, 1, 'counted as a claim, so a crash counts too');
    assert.ok(operation.startedAt instanceof Date && operation.leaseExpiresAt instanceof Date);
    const leaseMs = operation.leaseExpiresAt.getTime() - operation.startedAt.getTime();
    assert.ok(Math.abs(leaseMs - LEASE * 1000) < 5, `lease of ${leaseMs} ms`);
    assert.deepEqual(await getOperation(ctx.db, operation.id), operation);
    assert.equal(await claimNextOperation(ctx.db, 'w2', LEASE), null, 'its lease holds against other workers');
    const next = await insertPlannedOperation(ctx.db, input, 0, { workerId: 'w1', leaseSeconds: LEASE });
    assert.equal(next.operation.status, 'queued', 'one operation per cluster at a time');
    assert.ok(await finishOperation(ctx.db, operation.id, 'w1', done), 'the worker it was inserted for owns it');
  });

  test('nothing to claim gives null', async () => {
    assert.equal(await claimNextOperation(ctx.db, 'w1', LEASE), null);
    const op = await createCluster('c1');
    await claimNextOperation(ctx.db, 'w1', LEASE);
    assert.equal(await claimNextOperation(ctx.db, 'w2', LEASE), null, 'a live lease is not claimable');
    assert.ok(await finishOperation(ctx.db, op.id, 'w1', done));
    assert.equal(await claimNextOperation(ctx.db, 'w2', LEASE), null, 'a finished operation is not claimable');
  });

  test('concurrent claims never hand one operation to two workers', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 6; i++) ids.add((await createCluster(`c${i}`)).id);
    const workers = ctx.backend === 'postgres' ? [ctx.db, await ctx.openAnother()] : [ctx.db];
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) => claimNextOperation(workers[i % workers.length] ?? ctx.db, `w${i}`, LEASE)),
    );
    const claimed = claims.filter((c): c is OperationRecord => c !== null).map((c) => c.id);
    assert.equal(new Set(claimed).size, claimed.length, 'no operation claimed twice');
    assert.deepEqual(new Set(claimed), ids, 'every operation claimed once');
  });

  test('one operation per cluster at a time, in order', async () => {
    const first = await createCluster('c1');
    const second = await queueOperation(ctx.db, first.clusterId, 'c1');
    const other = await createCluster('c2');

    assert.equal((await claimNextOperation(ctx.db, 'w1', LEASE))?.id, first.id);
    assert.equal((await claimNextOperation(ctx.db, 'w2', LEASE))?.id, other.id, 'skips the busy cluster');
    assert.equal(await claimNextOperation(ctx.db, 'w3', LEASE), null);
    assert.ok(await finishOperation(ctx.db, first.id, 'w1', done));
    assert.equal((await claimNextOperation(ctx.db, 'w3', LEASE))?.id, second);
  });

  test('while the older operation of a cluster is being claimed, the newer one is not claimable', async (t) => {
    if (ctx.backend !== 'postgres') return t.skip('PGlite is one connection: no claim can be in flight beside another');
    const first = await createCluster('c1');
    await queueOperation(ctx.db, first.clusterId, 'c1');
    const otherWorker = await ctx.openAnother();
    // Hold the row lock a claiming worker holds between its SELECT ... FOR UPDATE and its commit.
    await ctx.db.transaction(async (tx) => {
      await tx.query('SELECT id FROM operations WHERE id = $1 FOR UPDATE', [first.id]);
      assert.equal(await claimNextOperation(otherWorker, 'w2', LEASE), null);
    });
    assert.equal((await claimNextOperation(otherWorker, 'w2', LEASE))?.id, first.id);
  });

  test('an expired lease is claimable again, and the stale worker can no longer write', async () => {
    const op = await createCluster('c1');
    await claimNextOperation(ctx.db, 'old', LEASE);
    assert.ok(await renewLease(ctx.db, op.id, 'old', LEASE));
    await expireLease(ctx.db, op.id);

    const reclaimed = await claimNextOperation(ctx.db, 'new', LEASE);
    assert.equal(reclaimed?.id, op.id);
    assert.equal(reclaimed?.lockedBy, 'new');
    assert.equal(reclaimed?.attempts, 2, 'the crashed attempt counts');
    assert.equal(reclaimed?.status, 'running');

    const progress = { ...sampleProgress(), percent: 50, stepsDone: 1 };
    assert.equal(await renewLease(ctx.db, op.id, 'old', LEASE), false);
    assert.equal(await recordRun(ctx.db, op.id, 'old', 'c1', { steps: sampleSteps(), progress }, [{ type: 'step_started', message: 'stale' }]), false);
    const failed: OperationError = { kind: 'internal', title: 'x', detail: 'x', code: 'x' };
    assert.equal(await finishOperation(ctx.db, op.id, 'old', { ...done, status: 'failed', error: failed }), null);
    assert.equal((await getOperation(ctx.db, op.id))?.status, 'running', 'the stale worker changed nothing');

    assert.ok(await recordRun(ctx.db, op.id, 'new', 'c1', { steps: sampleSteps(), progress }, []));
    assert.equal((await listEvents(ctx.db, { operationId: op.id }, { pageSize: 100 })).items.filter((e) => e.message === 'stale').length, 0, 'the stale worker appended nothing');
    assert.deepEqual((await getOperation(ctx.db, op.id))?.progress, progress);
    assert.ok(await renewLease(ctx.db, op.id, 'new', LEASE));
    const returned = await finishOperation(ctx.db, op.id, 'new', { ...done, status: 'failed', error: failed });
    const finished = await getOperation(ctx.db, op.id);
    assert.deepEqual(returned, finished, 'the finished operation comes back as stored');
    assert.equal(finished?.status, 'failed');
    assert.deepEqual(finished?.error, failed);
    assert.equal(finished?.lockedBy, null);
    assert.equal(finished?.leaseExpiresAt, null);
    assert.ok(finished?.finishedAt instanceof Date);
    assert.equal(await finishOperation(ctx.db, op.id, 'new', done), null, 'finishing releases the lock');
  });

  test('recordRun stores the state and appends its events in order, each with its webhook deliveries', async () => {
    const op = await createCluster('c1');
    await claimNextOperation(ctx.db, 'w1', LEASE);
    const hook = await insertWebhook(ctx.db, { url: 'https://chat.example.com/hook', secret: 's'.repeat(32), eventTypes: ['step_succeeded'], clusters: null, createdBy: 'test' });
    const progress = { ...sampleProgress(), percent: 40 };
    const events = Array.from({ length: 12 }, (_, i) => ({ type: i % 2 === 0 ? 'step_started' : 'step_succeeded', message: `m${i}`, data: i === 0 ? null : { step: i } }));
    assert.ok(await recordRun(ctx.db, op.id, 'w1', 'c1', { steps: sampleSteps(), progress }, events));
    const at = new Date('2026-01-02T03:04:05.678Z');
    assert.ok(await recordRun(ctx.db, op.id, 'w1', 'c1', null, [{ type: 'step_started', message: 'm12', at }]), 'events alone');
    assert.deepEqual((await getOperation(ctx.db, op.id))?.progress, progress, 'a write without state keeps the stored state');
    const stored = (await listEvents(ctx.db, { operationId: op.id }, { pageSize: 100 })).items.filter((e) => /^m\d+$/.test(e.message));
    assert.deepEqual(stored.map((e) => e.message), Array.from({ length: 13 }, (_, i) => `m${i}`));
    assert.equal(stored[0]!.data, null);
    assert.deepEqual(stored[3]!.data, { step: 3 });
    assert.deepEqual(stored[12]!.at, at, 'an event keeps the time it happened at');
    assert.equal((await listDeliveries(ctx.db, hook.id, { pageSize: 100 })).items.length, 6, 'one delivery per subscribed event');
  });

  test('requestCancel: queued is cancelled at once, running becomes cancelling, terminal stays', async () => {
    const queued = await createCluster('c1');
    const cancelled = await requestCancel(ctx.db, queued.id);
    assert.equal(cancelled?.status, 'cancelled');
    assert.ok(cancelled?.finishedAt instanceof Date);
    assert.ok((cancelled?.updatedAt.getTime() ?? 0) >= queued.updatedAt.getTime());
    assert.equal(await claimNextOperation(ctx.db, 'w1', LEASE), null, 'a cancelled operation never runs');
    assert.deepEqual(await requestCancel(ctx.db, queued.id), cancelled, 'terminal: unchanged');

    const running = await createCluster('c2');
    await claimNextOperation(ctx.db, 'w1', LEASE);
    const cancelling = await requestCancel(ctx.db, running.id);
    assert.equal(cancelling?.status, 'cancelling');
    assert.equal(cancelling?.finishedAt, null);
    assert.equal(cancelling?.lockedBy, 'w1', 'the worker keeps it to stop at a safe point');
    assert.equal((await requestCancel(ctx.db, running.id))?.status, 'cancelling');

    await expireLease(ctx.db, running.id);
    const resumed = await claimNextOperation(ctx.db, 'w2', LEASE);
    assert.equal(resumed?.id, running.id);
    assert.equal(resumed?.status, 'cancelling', 'a reclaimed cancelling operation stays cancelling');
  });

  test('unknown and malformed ids read as null', async () => {
    assert.equal(await getOperation(ctx.db, 'not-a-uuid'), null);
    assert.equal(await getOperation(ctx.db, '00000000-0000-4000-8000-000000000000'), null);
    assert.equal(await requestCancel(ctx.db, 'not-a-uuid'), null);
    assert.equal(await requestCancel(ctx.db, '00000000-0000-4000-8000-000000000000'), null);
  });

  test('lists operations newest first, page by page, for all or one cluster', async () => {
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      const op = await createCluster(name);
      ids.push(op.id, await queueOperation(ctx.db, op.clusterId, name));
    }
    // Same created_at for several rows, so the id tie-break of the cursor is exercised.
    await ctx.db.query(`UPDATE operations SET created_at = '2030-01-01T00:00:00Z' WHERE cluster_name IN ('a', 'b')`);
    const expected = (await ctx.db.query<{ id: string }>('SELECT id FROM operations ORDER BY created_at DESC, id DESC'))
      .map((r) => r.id);

    const seen: string[] = [];
    let token: string | null = null;
    do {
      const page = await listOperations(ctx.db, { pageSize: 4, pageToken: token });
      assert.ok(page.items.length <= 4);
      seen.push(...page.items.map((o) => o.id));
      token = page.nextPageToken;
    } while (token !== null);
    assert.deepEqual(seen, expected);
    assert.equal(new Set(seen).size, ids.length);

    const onlyB = await listOperations(ctx.db, { clusterName: 'b', pageSize: 10 });
    assert.deepEqual(new Set(onlyB.items.map((o) => o.clusterName)), new Set(['b']));
    assert.equal(onlyB.items.length, 2);
    await assert.rejects(listOperations(ctx.db, { pageSize: 2, pageToken: 'garbage' }), /pageToken/);
  });
});
