import type { Logger } from '../logger.ts';
import type { ConnectionPool } from '../redis/connectionPool.ts';
import type { ObservedCluster } from '../redis/observeCluster.ts';
import type { Database } from '../store/database.ts';
import type { ClusterPhase, ClusterRecord, OperationRecord } from '../store/records.ts';
import { claimNextOperation } from '../store/operations.ts';
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
import { runOperation } from './runOperation.ts';
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
    record_slots: recordServedSlotsExecutor((clusterId, served, roles) => recordServedSlots(db, clusterId, served, roles)),
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
  /** Observes a cluster and stores what it saw (see `RunDeps.observe`). */
  readonly observe?: (cluster: ClusterRecord) => (observed: Promise<ObservedCluster>) => Promise<void>;
  /** Node connections kept between operations (see `RunDeps.pool`). */
  readonly pool?: ConnectionPool;
}

export interface RunningWorker {
  /** Look for work now instead of at the next poll (called when this process queued an operation). */
  wake(): void;
  /** Tells a running operation of this worker that a cancel was just requested, so it need not wait for its poll. */
  cancel(operationId: string): void;
  /** Stops claiming, aborts running operations at their next safe point and waits for them. */
  stop(): Promise<void>;
}

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

  const wake = () => {
    pending = true;
    wakeUp?.();
  };

  const loop = (async () => {
    while (!shutdown.signal.aborted) {
      pending = false;
      if (running.size < opts.concurrency) {
        let claimed = null;
        try {
          claimed = await claimNextOperation(db, workerId, opts.leaseSeconds);
        } catch (err) {
          log.error('claiming an operation failed', { error: String(err) });
        }
        if (claimed) {
          opts.onOperationChange?.(claimed.id, claimed);
          log.info('claimed operation', { operation: claimed.id, cluster: claimed.clusterName, kind: claimed.kind, attempt: claimed.attempts });
          const cancel = new AbortController();
          cancels.set(claimed.id, cancel);
          const run = runOperation({ db, workerId, leaseSeconds: opts.leaseSeconds, log, executors, phaseAfter, ...(opts.observe ? { observe: opts.observe } : {}), ...(opts.pool ? { pool: opts.pool } : {}), ...(opts.onOperationChange ? { onChange: opts.onOperationChange } : {}) }, claimed, shutdown.signal, cancel.signal)
            .catch((err: unknown) => log.error('operation crashed', { operation: claimed.id, error: String(err) }))
            .finally(() => {
              cancels.delete(claimed.id);
              running.delete(run);
              // After the callbacks of the end (a long poll answering with the result): the claim's
              // query would otherwise hold the embedded database, and the thread, before them.
              setImmediate(wake);
            });
          running.add(run);
          // There may be more work: look again shortly (at once when woken), not in the same breath,
          // so the run just claimed starts without waiting behind a query that likely finds nothing.
          claimedJustNow = true;
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
    cancel: (operationId) => cancels.get(operationId)?.abort(),
    async stop() {
      shutdown.abort(new Error('worker stopping'));
      await loop;
      await Promise.allSettled([...running]);
    },
  };
}
