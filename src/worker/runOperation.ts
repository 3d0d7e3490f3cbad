import { setImmediate } from 'node:timers/promises';
import type { Logger } from '../logger.ts';
import type { ConnectionPool } from '../redis/connectionPool.ts';
import { NodeConnections } from '../redis/nodeConnections.ts';
import { LOOK_TIMEOUT_MS, type ObservedCluster } from '../redis/observeCluster.ts';
import { getClusterByName, setRedisNodeIds } from '../store/clusters.ts';
import type { Database } from '../store/database.ts';
import { finishOperation, getOperation, recordRun, releaseLease, renewLease } from '../store/operations.ts';
import type { ClusterPhase, ClusterRecord, OperationRecord } from '../store/records.ts';
import { watchCancel } from './cancelWatcher.ts';
import { systemClock, type Clock } from './clock.ts';
import { keepLease } from './leaseKeeper.ts';
import { progressMeter } from './progressMeter.ts';
import { JournalFailed, LeaseLost, RunJournal } from './runJournal.ts';
import type { PlannedLook, StepExecutors } from './stepContext.ts';
import { toOperationError } from './stepFailure.ts';
import { RunStopped, runSteps, type StepRecorder } from './stepLoop.ts';

export interface RunDeps {
  readonly db: Database;
  readonly workerId: string;
  readonly leaseSeconds: number;
  readonly log: Logger;
  readonly executors: StepExecutors;
  readonly clock?: Clock;
  readonly now?: () => Date;
  /** The cluster phase an operation leaves behind, if it changes it (a create makes it ready or failed). */
  readonly phaseAfter?: (kind: OperationRecord['kind'], status: 'succeeded' | 'failed' | 'cancelled') => ClusterPhase | null;
  /**
   * Told after every stored change: progress saved or an event appended (without `stored`: the
   * operation has not ended), or its end (with the operation as stored).
   */
  readonly onChange?: (operationId: string, stored?: OperationRecord) => void;
  /**
   * Stores the run's look at the settled nodes as the cluster's observation, stamped `at` (just
   * after the operation's end as stored), right after the end (see `storeObservation`).
   */
  readonly observe?: (cluster: ClusterRecord, observed: Promise<ObservedCluster>, at: Date) => Promise<void>;
  /** Where the run's node connections come from and go back to (fresh connections without one). */
  readonly pool?: ConnectionPool;
}

/**
 * What the process that planned an operation knew when it queued it: the cluster as it read it
 * and the look at the nodes the plan was made from. Handed to the run only while it is fresh
 * (the operation's first run, shortly after planning: see the worker's `PLANNED_LOOK_MS`).
 */
export interface PlannedRun {
  readonly cluster: ClusterRecord;
  readonly look: PlannedLook;
}

/** How often a running operation looks for a cancel made through another process. */
const CANCEL_POLL_MS = 500;

/**
 * Runs a claimed operation to its end, composed of four parts: a lease keeper (renews the lease;
 * losing it stops the run without writing anything more), a cancel watcher, a progress meter, and
 * the step loop. Shutting down (`outerSignal`) stops at a safe point and hands the operation over
 * at once; an unexpected error (the database went away) leaves it to be resumed when its lease
 * expires. `cancelSignal` carries a cancel made through this process. `planned` (fresh) spares
 * the run reading the cluster again and its first steps looking at the nodes again.
 */
export async function runOperation(deps: RunDeps, claimed: OperationRecord, outerSignal: AbortSignal, cancelSignal?: AbortSignal, planned?: PlannedRun): Promise<void> {
  const { db, workerId, log } = deps;
  const clock = deps.clock ?? systemClock;
  const now = deps.now ?? (() => new Date());
  const steps = structuredClone(claimed.steps);
  const stop = new AbortController();
  const shutdown = () => stop.abort(outerSignal.reason);
  outerSignal.addEventListener('abort', shutdown, { once: true });
  if (outerSignal.aborted) shutdown();
  const leaseLost = () => stop.abort(new LeaseLost('lease lost'));
  const lease = keepLease({
    renew: () => renewLease(db, claimed.id, workerId, deps.leaseSeconds),
    leaseSeconds: deps.leaseSeconds,
    onLost: leaseLost,
    onError: (err) => log.warn('lease renewal failed', { operation: claimed.id, error: String(err) }),
    clock,
  });
  const cancel = watchCancel({
    requested: claimed.status === 'cancelling',
    isCancelling: async () => (await getOperation(db, claimed.id))?.status === 'cancelling',
    pollMs: CANCEL_POLL_MS,
    immediate: cancelSignal,
    clock,
  });
  const meter = progressMeter(claimed.progress, clock);
  const journal = new RunJournal({
    write: (save, events) => recordRun(db, claimed.id, workerId, claimed.clusterName, save ? { steps, progress: meter.progress(steps) } : null, events),
    onStored: () => deps.onChange?.(claimed.id),
    onBroken: (reason) => stop.abort(reason),
  });
  const recorder: StepRecorder = {
    save: () => journal.save(),
    event: (type, message, data, nodes) => journal.event({ type, message, at: now(), ...(data ? { data } : {}), ...(nodes ? { nodes } : {}) }),
    flushState: () => journal.flushState(),
    // After the step's first commands went out: the write runs on this thread while they are answered.
    storeWhileWaiting: () => void setImmediate().then(() => journal.writeNow()),
  };

  const cluster = planned?.cluster ?? await getClusterByName(db, claimed.clusterName);
  const connections = new NodeConnections(cluster?.auth ?? undefined, {}, deps.pool);
  // A look at the whole cluster waits for no node longer than the observer does.
  const lookConnections = new NodeConnections(cluster?.auth ?? undefined, { connectTimeoutMs: LOOK_TIMEOUT_MS, commandTimeoutMs: LOOK_TIMEOUT_MS }, deps.pool);
  try {
    if (!cluster) throw new Error(`cluster "${claimed.clusterName}" no longer exists`);
    const resumed = claimed.attempts > 1;
    recorder.event(resumed ? 'operation_resumed' : 'operation_started', `${resumed ? 'resumed' : 'started'} by worker ${workerId} (attempt ${claimed.attempts})`);
    // The run's one look at the settled nodes serves the steps that record the desired topology
    // and the observation stored after the end (see `storeObservation`).
    let settledLook: (() => Promise<ObservedCluster>) | null = null;
    const outcome = await runSteps({
      operation: claimed, cluster, steps, executors: deps.executors, connections, lookConnections, meter, recorder,
      recordNodeIds: (ids) => setRedisNodeIds(db, cluster.id, ids),
      stop: stop.signal, cancel: cancel.signal, now, log, onNodesSettled: (look) => {
        settledLook ??= look;
      }, plannedLook: planned?.look,
    });
    const error = outcome.status === 'failed' ? outcome.error : null;
    const pending = await journal.close();
    const finished = await finishOperation(db, claimed.id, workerId, { status: outcome.status, error, steps, progress: meter.progress(steps) }, {
      clusterName: claimed.clusterName,
      clusterPhase: deps.phaseAfter?.(claimed.kind, outcome.status) ?? null,
      // Read on its own (a chat message, a webhook): it names what ended and where.
      events: [...pending, { type: `operation_${outcome.status}`, message: `${claimed.kind} ${claimed.clusterName} ${outcome.status}${error ? `: ${error.detail}` : ''}` }],
    });
    if (!finished) return;
    deps.onChange?.(claimed.id, finished);
    // Assigned by the step loop's callback, which the compiler does not follow.
    const look = settledLook as (() => Promise<ObservedCluster>) | null;
    if (look && deps.observe) await storeObservation(deps.observe, cluster, look, finished, (err) => log.warn('observing the cluster after an operation failed', { operation: claimed.id, error: String(err) }));
    log.info(`operation ${outcome.status}`, { operation: claimed.id, cluster: claimed.clusterName, kind: claimed.kind });
  } catch (err) {
    if (stop.signal.reason instanceof JournalFailed) {
      log.error('operation run aborted', { operation: claimed.id, error: String(stop.signal.reason) });
      return;
    }
    if (err instanceof RunStopped || err instanceof LeaseLost || stop.signal.aborted) {
      if (lease.lost || stop.signal.reason instanceof LeaseLost) {
        log.warn('stopped an operation this worker no longer owns', { operation: claimed.id });
      } else {
        // Shutting down: the step in flight stopped at a safe point; store what it recorded and hand the operation over now.
        await journal.flush().catch(() => undefined);
        await releaseLease(db, claimed.id, workerId).catch(() => false);
        log.info('released an operation for another worker to resume', { operation: claimed.id });
      }
      return;
    }
    // Unexpected (e.g. the database went away): leave the operation to be resumed when the lease expires.
    log.error('operation run aborted', { operation: claimed.id, error: String(err) });
    if (!cluster) {
      await finishOperation(db, claimed.id, workerId, { status: 'failed', error: toOperationError(err, 'run operation'), steps, progress: meter.progress(steps) }).catch(() => false);
    }
  } finally {
    lease.stop();
    cancel.stop();
    outerSignal.removeEventListener('abort', shutdown);
    await connections.closeAll();
    await lookConnections.closeAll();
  }
}

/**
 * Stores the run's look at the settled nodes as the cluster's observation, right after the end:
 * not before it, where its database work (the context it is compared with, then the write: 5-10
 * ms here) kept the end from being stored and answered, nor while the nodes converge, where it
 * kept the wait from seeing them agree. The answers the end wakes (a long poll) are sent first:
 * the store runs on this thread. A read of the cluster in between sees an observation older than
 * the operation's end and looks at the nodes itself (see the service's `readClusterView`).
 *
 * Stamped with the end as stored, to the next millisecond (the database keeps microseconds), not
 * with when it is stored: the look holds from the end on (the steps after it only record) until
 * another operation of the cluster changes the nodes, and a store that came late, after such an
 * operation ended, must not pass for newer than that end (reads would serve it as current).
 */
async function storeObservation(observe: NonNullable<RunDeps['observe']>, cluster: ClusterRecord, look: () => Promise<ObservedCluster>, ended: OperationRecord, onError: (err: unknown) => void): Promise<void> {
  const at = new Date((ended.finishedAt ?? new Date()).getTime() + 1);
  await setImmediate();
  try {
    await observe(cluster, look(), at);
  } catch (err) {
    onError(err);
  }
}
