import type { Logger } from '../logger.ts';
import type { ConnectionPool } from '../redis/connectionPool.ts';
import type { ObservedCluster } from '../redis/observeCluster.ts';
import type { Database } from '../store/database.ts';
import type { ClusterPhase, ClusterRecord, OperationRecord } from '../store/records.ts';
import { claimNextOperation, claimQueuedOperation, type RunReservation } from '../store/operations.ts';
import { dropNodeFromDesired, recordServedSlots } from '../store/topologyChanges.ts';
import { configExecutors } from './configSteps.ts';
import { createClusterExecutors } from './createClusterSteps.ts';
import { failoverExecutors } from './failoverSteps.ts';
import { fixExecutors } from './fixSteps.ts';
import { functionExecutors } from './functionSteps.ts';
import { moveSlotsExecutors } from './moveSlotsSteps.ts';
import { nodeExecutors } from './nodeSteps.ts';
import { recordServedSlotsExecutor } from './recordServedSlots.ts';
import { releaseNewNodeExecutor } from './releaseNewNode.ts';
import { runOperation, type PlannedRun } from './runOperation.ts';
import type { StepExecutors } from './stepContext.ts';
import { waitTopologyExecutors } from './waitTopology.ts';

/**
 * Every step kind's executor, one table: it is a complete record, so a step kind without an
 * executor fails to compile here. The steps that edit the desired topology get the database.
 */
export function executorsFor(db: Database): StepExecutors {
  return {
    ...createClusterExecutors,
    ...configExecutors,
    ...moveSlotsExecutors,
    ...fixExecutors,
    ...functionExecutors,
    ...nodeExecutors,
    ...failoverExecutors,
    ...waitTopologyExecutors,
    release_new_node: releaseNewNodeExecutor((clusterId, address) => dropNodeFromDesired(db, clusterId, address)),
    record_slots: recordServedSlotsExecutor((clusterId, served, roles, known) => recordServedSlots(db, clusterId, served, roles, known)),
  };
}

/** A create decides the cluster's phase; later kinds of operation leave it as it is. */
function phaseAfter(kind: string, status: 'succeeded' | 'failed' | 'cancelled'): ClusterPhase | null {
  if (kind !== 'create_cluster') return null;
  return status === 'succeeded' ? 'ready' : 'failed';
}

export interface WorkerOptions {
  readonly db: Database;
  readonly workerId: string;
  readonly leaseSeconds: number;
  readonly pollIntervalMs: number;
  readonly concurrency: number;
  readonly log: Logger;
  /**
   * Told after every stored change of an operation this worker runs: its claim and its end (with
   * the operation as stored), progress and events (without: it has not ended).
   */
  readonly onOperationChange?: (operationId: string, stored?: OperationRecord) => void;
  /** Stores a run's look at the settled nodes as the cluster's observation (see `RunDeps.observe`). */
  readonly observe?: (cluster: ClusterRecord, observed: Promise<ObservedCluster>, at: Date) => Promise<void>;
  /** Node connections kept between operations (see `RunDeps.pool`). */
  readonly pool?: ConnectionPool;
}

export interface RunningWorker {
  /**
   * Look for work now instead of at the next poll; `queued`: the operation this process just
   * queued (as its insert returned it), claimed first, and what the process knew when it planned
   * it, which its run uses if this worker claims it within {@link PLANNED_LOOK_MS}.
   */
  wake(queued?: QueuedHere): void;
  /**
   * Reserves a run for an operation this process is about to insert already claimed for this
   * worker (the embedded store only, where this process is the only writer: see
   * `insertPlannedOperation`): the lease to write, or null when the worker runs as many operations
   * as it may, or is stopping. The reservation is used up by `wake` with the operation claimed for
   * this worker, or given back with `release` (the insert failed or queued it instead).
   */
  reserve(): RunReservation | null;
  /** Tells a running operation of this worker that a cancel was just requested, so it need not wait for its poll. */
  cancel(operationId: string): void;
  /** Stops claiming, aborts running operations at their next safe point and waits for them. */
  stop(): Promise<void>;
}

/** An operation this process queued, for the worker of the same process. */
export interface QueuedHere {
  readonly operation: OperationRecord;
  readonly planned?: PlannedRun | undefined;
  /** The run reserved for it, when it was inserted already claimed for this worker (see `RunningWorker.reserve`). */
  readonly reservation?: RunReservation | undefined;
}

/** How long the worker remembers an operation queued here that it has not claimed (another worker may have). */
const QUEUED_HERE_MS = 60_000;

/**
 * How long after planning an operation its first run may trust the look it was planned from
 * instead of looking at the nodes again (its `check_cluster` and the start of its first move): as
 * long as between two steps of a run. A run claimed later, or resumed, looks again.
 */
export const PLANNED_LOOK_MS = 1000;

/** After a claim, how soon the worker looks for more work unless woken. */
const CLAIM_AGAIN_MS = 50;

/**
 * Claims runnable operations one at a time, up to `concurrency` running at once (each on its own
 * cluster: the claim never hands out a second operation for a busy cluster), and runs them.
 */
export function startWorker(opts: WorkerOptions): RunningWorker {
  const { db, workerId, log } = opts;
  const executors = executorsFor(db);
  const shutdown = new AbortController();
  const running = new Set<Promise<void>>();
  const cancels = new Map<string, AbortController>();
  let wakeUp: (() => void) | null = null;
  let pending = false;
  let claimedJustNow = false;
  /**
   * The operations this process queued and this worker has not claimed yet, by id, in the order
   * they were queued: when, and whether a claim of it alone was tried.
   */
  const queuedHere = new Map<string, QueuedHere & { readonly at: number; tried: boolean }>();

  /** Runs reserved for operations being inserted already claimed (see `reserve`). */
  let reserved = 0;
  const wake = (queued?: QueuedHere) => {
    // Inserted already claimed for this worker (its reservation is used up): it runs now, with no claim.
    if (queued?.reservation && queued.operation.status === 'running' && queued.operation.lockedBy === workerId) {
      queued.reservation.release();
      // A worker stopping leaves it to the next start (its lease runs out), as any run it holds.
      if (!shutdown.signal.aborted) start(queued.operation, queued.planned, true);
      return;
    }
    if (queued) {
      const now = Date.now();
      // An operation another worker claimed leaves its entry behind: they are dropped once stale.
      for (const [id, q] of queuedHere) if (now - q.at > QUEUED_HERE_MS) queuedHere.delete(id);
      queuedHere.set(queued.operation.id, { ...queued, at: now, tried: false });
    }
    pending = true;
    wakeUp?.();
  };

  /** What a claimed operation was planned from, when its run may trust it (its first run, still fresh). */
  const plannedFor = (claimed: OperationRecord, queued: (QueuedHere & { readonly at: number }) | undefined): PlannedRun | undefined =>
    queued && claimed.attempts === 1 && Date.now() - queued.at <= PLANNED_LOOK_MS ? queued.planned : undefined;

  /**
   * Claims an operation: first one this process just queued, by itself (a claim that reads back
   * only what it changed), then the oldest runnable one of any process.
   */
  const claim = async (): Promise<OperationRecord | null> => {
    const fresh = [...queuedHere.values()].find((q) => !q.tried);
    if (fresh) {
      fresh.tried = true;
      const claimed = await claimQueuedOperation(db, workerId, opts.leaseSeconds, fresh.operation);
      if (claimed) return claimed;
    }
    return claimNextOperation(db, workerId, opts.leaseSeconds);
  };

  /** Runs an operation claimed for this worker (by a claim, or by its insert: `inserted`). */
  function start(claimed: OperationRecord, planned: PlannedRun | undefined, inserted: boolean): void {
    opts.onOperationChange?.(claimed.id, claimed);
    log.info(inserted ? 'started operation' : 'claimed operation', { operation: claimed.id, cluster: claimed.clusterName, kind: claimed.kind, attempt: claimed.attempts });
    const cancel = new AbortController();
    cancels.set(claimed.id, cancel);
    const run = runOperation({ db, workerId, leaseSeconds: opts.leaseSeconds, log, executors, phaseAfter, ...(opts.observe ? { observe: opts.observe } : {}), ...(opts.pool ? { pool: opts.pool } : {}), ...(opts.onOperationChange ? { onChange: opts.onOperationChange } : {}) }, claimed, shutdown.signal, cancel.signal, planned)
      .catch((err: unknown) => log.error('operation crashed', { operation: claimed.id, error: String(err) }))
      .finally(() => {
        cancels.delete(claimed.id);
        running.delete(run);
        // After the callbacks of the end (a long poll answering with the result): the claim's
        // query would otherwise hold the embedded database, and the thread, before them.
        // Only when an operation queued here waits (likely behind this one); others are
        // found by the poll, so a lone operation's end costs no query.
        if (queuedHere.size > 0) setImmediate(wake);
      });
    running.add(run);
  }

  const loop = (async () => {
    while (!shutdown.signal.aborted) {
      pending = false;
      if (running.size + reserved < opts.concurrency) {
        let claimed = null;
        try {
          claimed = await claim();
        } catch (err) {
          log.error('claiming an operation failed', { error: String(err) });
        }
        if (claimed) {
          const queued = queuedHere.get(claimed.id);
          queuedHere.delete(claimed.id);
          start(claimed, plannedFor(claimed, queued), false);
          // There may be more work: look again shortly (at once when woken), not in the same breath,
          // so the run just claimed starts without waiting behind a query that likely finds nothing.
          // Not after an operation this process just queued: the worker was woken for that one, so
          // no backlog is likely, and a claim that finds nothing would only slow its run.
          claimedJustNow = queued === undefined;
        }
      }
      if (pending) continue;
      const waitMs = claimedJustNow ? Math.min(CLAIM_AGAIN_MS, opts.pollIntervalMs) : opts.pollIntervalMs;
      claimedJustNow = false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        wakeUp = done;
        shutdown.signal.addEventListener('abort', done, { once: true });
        function done() {
          clearTimeout(timer);
          wakeUp = null;
          shutdown.signal.removeEventListener('abort', done);
          resolve();
        }
      });
    }
  })();

  return {
    wake,
    reserve() {
      if (shutdown.signal.aborted || running.size + reserved >= opts.concurrency) return null;
      reserved++;
      let open = true;
      return {
        workerId,
        leaseSeconds: opts.leaseSeconds,
        release() {
          if (!open) return;
          open = false;
          reserved = Math.max(0, reserved - 1);
        },
      };
    },
    cancel: (operationId) => cancels.get(operationId)?.abort(),
    async stop() {
      shutdown.abort(new Error('worker stopping'));
      await loop;
      await Promise.allSettled([...running]);
    },
  };
}
