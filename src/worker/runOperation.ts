import type { Problem, Progress, Step, StepKind } from '../domain/operation.ts';
import type { Logger } from '../logger.ts';
import { NodeConnections } from '../redis/nodeConnections.ts';
import { getClusterByName, setClusterPhase, setRedisNodeIds } from '../store/clusters.ts';
import type { Database } from '../store/database.ts';
import { appendEvent } from '../store/events.ts';
import { finishOperation, getOperation, releaseLease, renewLease, saveProgress } from '../store/operations.ts';
import type { ClusterPhase, OperationRecord } from '../store/records.ts';
import type { StepExecutor, StepProgress } from './stepContext.ts';
import { toProblem } from './stepFailure.ts';

export interface RunDeps {
  readonly db: Database;
  readonly workerId: string;
  readonly leaseSeconds: number;
  readonly log: Logger;
  readonly executors: Readonly<Partial<Record<StepKind, StepExecutor>>>;
  readonly cleanupSteps: readonly StepKind[];
  readonly now?: () => Date;
  /** The cluster phase an operation leaves behind, if it changes it (a create makes it ready or failed). */
  readonly phaseAfter?: (kind: OperationRecord['kind'], status: 'succeeded' | 'failed' | 'cancelled') => ClusterPhase | null;
  /** Told after every stored change: progress saved, an event appended (which includes the end). */
  readonly onChange?: (operationId: string) => void;
}

/** Marks "stopped because cancelled" where a failure would go; never stored as an error. */
const CANCELLED: Problem = { type: 'urn:slotsmith:problem:cancelled', title: 'Cancelled', status: 409, detail: 'the operation was cancelled', code: 'cancelled' };

/** Raised internally when the lease was lost: another worker owns the operation now, so stop writing. */
class LeaseLost extends Error {}

/** The abort reason when a caller asked to cancel: executors stop at their next safe point. */
export class CancelRequested extends Error {}

/** How often a running operation looks for a cancel request, and stores in-step progress at most. */
const CANCEL_POLL_MS = 500;
const PROGRESS_SAVE_MS = 500;

/**
 * Runs the remaining steps of a claimed operation in order and records each step, the progress
 * and the events as it goes. Steps already `succeeded` (a resumed run) are not run again; a step
 * left `running` by a crashed worker runs again, which is safe because every step is idempotent.
 * Cleanup steps run even after a failure. The lease is renewed every third of its length; if a
 * renewal finds the operation owned by someone else, the run stops without writing anything more.
 */
export async function runOperation(deps: RunDeps, claimed: OperationRecord, outerSignal: AbortSignal, cancelSignal?: AbortSignal): Promise<void> {
  const { db, workerId, log } = deps;
  const now = deps.now ?? (() => new Date());
  const steps: Step[] = structuredClone(claimed.steps);
  // Two signals: losing the lease or shutting down stops everything, cleanup included; a cancel
  // request stops the ordinary steps at a safe point but still lets cleanup steps run.
  const controller = new AbortController();
  const cancelController = new AbortController();
  const abortOuter = () => controller.abort(outerSignal.reason);
  outerSignal.addEventListener('abort', abortOuter, { once: true });
  let leaseLost = false;
  const heartbeat = setInterval(() => {
    renewLease(db, claimed.id, workerId, deps.leaseSeconds).then((owned) => {
      if (!owned) {
        leaseLost = true;
        controller.abort(new LeaseLost('lease lost'));
      }
    }, (err: unknown) => log.warn('lease renewal failed', { operation: claimed.id, error: String(err) }));
  }, Math.max(1000, (deps.leaseSeconds * 1000) / 3));
  heartbeat.unref();
  let cancelRequested = claimed.status === 'cancelling';
  const cancelPoll = setInterval(() => {
    getOperation(db, claimed.id).then((op) => {
      if (op?.status === 'cancelling' && !cancelRequested) {
        cancelRequested = true;
        cancelController.abort(new CancelRequested('cancel requested'));
      }
    }, () => undefined);
  }, CANCEL_POLL_MS);
  cancelPoll.unref();
  // A cancel made through this process arrives at once; one made elsewhere is seen by the poll.
  const cancelNow = () => {
    if (cancelRequested) return;
    cancelRequested = true;
    cancelController.abort(new CancelRequested('cancel requested'));
  };
  cancelSignal?.addEventListener('abort', cancelNow, { once: true });
  if (cancelRequested) cancelController.abort(new CancelRequested('cancel requested'));

  const cluster = await getClusterByName(db, claimed.clusterName);
  const connections = new NodeConnections(cluster?.auth ?? undefined);
  let moved: StepProgress | null = (claimed.progress.slotsTotal ?? 0) > 0
    ? { slotsMoved: claimed.progress.slotsMoved ?? 0, slotsTotal: claimed.progress.slotsTotal ?? 0, keysMoved: claimed.progress.keysMoved ?? 0 }
    : null;
  // Rate and ETA are measured over this run only, so a resumed run does not count the old run's work.
  let rateBase: { at: number; slots: number; keys: number } | null = null;
  const progress = (): Progress => {
    const done = steps.filter((s) => s.status === 'succeeded' || s.status === 'skipped').length;
    const running = steps.some((s) => s.status === 'running');
    const fraction = running && moved && moved.slotsTotal > 0 ? moved.slotsMoved / moved.slotsTotal : 0;
    const base: Progress = {
      percent: Math.min(100, Math.round(((done + Math.min(fraction, 0.99)) / steps.length) * 1000) / 10),
      stepsDone: done,
      stepsTotal: steps.length,
      currentStep: steps.find((s) => s.status === 'running')?.id ?? null,
    };
    if (!moved) return base;
    const seconds = rateBase ? (Date.now() - rateBase.at) / 1000 : 0;
    const slotRate = seconds > 0 && rateBase ? (moved.slotsMoved - rateBase.slots) / seconds : 0;
    const keyRate = seconds > 0 && rateBase ? (moved.keysMoved - rateBase.keys) / seconds : 0;
    return {
      ...base,
      slotsMoved: moved.slotsMoved,
      slotsTotal: moved.slotsTotal,
      keysMoved: moved.keysMoved,
      keysPerSecond: Math.round(keyRate),
      etaSeconds: slotRate > 0 ? Math.round(((moved.slotsTotal - moved.slotsMoved) / slotRate) * 10) / 10 : null,
    };
  };
  let lastProgressSave = 0;
  let progressSaving: Promise<void> | null = null;
  const reportProgress = (p: StepProgress) => {
    rateBase ??= { at: Date.now(), slots: p.slotsMoved, keys: p.keysMoved };
    moved = p;
    if (progressSaving || Date.now() - lastProgressSave < PROGRESS_SAVE_MS) return;
    lastProgressSave = Date.now();
    progressSaving = save().catch(() => undefined).finally(() => {
      progressSaving = null;
    });
  };
  const save = async () => {
    if (!(await saveProgress(db, claimed.id, workerId, { steps, progress: progress() }))) {
      leaseLost = true;
      throw new LeaseLost('lease lost');
    }
    deps.onChange?.(claimed.id);
  };
  const event = async (type: string, message: string, data?: Record<string, unknown>) => {
    await appendEvent(db, { operationId: claimed.id, type, message, ...(data ? { data } : {}) });
    deps.onChange?.(claimed.id);
  };

  let failure: Problem | null = null;
  try {
    if (!cluster) throw new Error(`cluster "${claimed.clusterName}" no longer exists`);
    await event(claimed.attempts > 1 ? 'operation_resumed' : 'operation_started',
      `${claimed.attempts > 1 ? 'resumed' : 'started'} by worker ${workerId} (attempt ${claimed.attempts})`);
    for (const step of steps) {
      if (step.status === 'succeeded' || step.status === 'skipped') continue;
      const cleanup = deps.cleanupSteps.includes(step.kind);
      if (!failure && cancelRequested && !cleanup) failure = CANCELLED;
      if (failure && !cleanup) {
        step.status = 'skipped';
        step.detail = failure === CANCELLED ? 'not run: the operation was cancelled' : 'not run: an earlier step failed';
        continue;
      }
      if (leaseLost || controller.signal.aborted) throw new LeaseLost('stopped');
      const executor = deps.executors[step.kind];
      step.status = 'running';
      step.startedAt = now().toISOString();
      step.finishedAt = null;
      await save();
      await event('step_started', step.title, { step: step.id });
      try {
        if (!executor) throw new Error(`no executor for step kind ${step.kind}`);
        const result = await executor({
          operation: claimed, cluster, step, steps, connections, log,
          signal: cleanup ? controller.signal : AbortSignal.any([controller.signal, cancelController.signal]),
          saveOutputs: async (outputs) => {
            step.outputs = { ...step.outputs, ...outputs };
            await save();
          },
          recordNodeIds: (ids) => setRedisNodeIds(db, cluster.id, ids),
          reportProgress,
          keysMovedSoFar: moved?.keysMoved ?? 0,
        });
        await progressSaving;
        step.status = 'succeeded';
        step.detail = result.detail;
        step.finishedAt = now().toISOString();
        await save();
        await event('step_succeeded', `${step.title}: ${result.detail}`, { step: step.id });
      } catch (err) {
        await progressSaving;
        if (cancelRequested && !leaseLost && !controller.signal.aborted) {
          // The executor stopped at a safe point; nothing is left half-done.
          step.status = 'skipped';
          step.finishedAt = now().toISOString();
          step.detail = 'stopped: the operation was cancelled';
          await event('step_cancelled', `${step.title}: stopped at a safe point`, { step: step.id });
          failure ??= CANCELLED;
          continue;
        }
        // Lost lease or shutdown: leave the step as it is, for the next owner to resume.
        if (leaseLost || err instanceof LeaseLost || controller.signal.aborted) throw new LeaseLost('stopped', { cause: err });
        step.status = 'failed';
        step.finishedAt = now().toISOString();
        const problem = toProblem(err, step.title);
        step.detail = problem.detail;
        log.warn('step failed', { operation: claimed.id, step: step.id, code: problem.code, detail: problem.detail });
        await event('step_failed', `${step.title}: ${problem.detail}`, { step: step.id, code: problem.code });
        // A failing cleanup step is reported but does not replace the failure that caused it.
        failure ??= problem;
      }
    }
    const status = failure === CANCELLED ? 'cancelled' : failure ? 'failed' : 'succeeded';
    const error = failure === CANCELLED ? null : failure;
    const owned = await finishOperation(db, claimed.id, workerId, { status, error, steps, progress: progress() });
    if (!owned) return;
    const phase = deps.phaseAfter?.(claimed.kind, status);
    if (phase) await setClusterPhase(db, cluster.id, phase);
    await event(`operation_${status}`, error ? `failed: ${error.detail}` : status);
    log.info(`operation ${status}`, { operation: claimed.id, cluster: claimed.clusterName, kind: claimed.kind });
  } catch (err) {
    if (err instanceof LeaseLost || leaseLost) {
      if (leaseLost) {
        log.warn('stopped an operation this worker no longer owns', { operation: claimed.id });
      } else {
        // Shutting down: the step in flight stopped at a safe point; hand the operation over now.
        await releaseLease(db, claimed.id, workerId).catch(() => false);
        log.info('released an operation for another worker to resume', { operation: claimed.id });
      }
      return;
    }
    // Unexpected (e.g. the database went away): leave the operation to be resumed when the lease expires.
    log.error('operation run aborted', { operation: claimed.id, error: String(err) });
    const problem = toProblem(err, 'run operation');
    if (!cluster) {
      await finishOperation(db, claimed.id, workerId, { status: 'failed', error: problem, steps, progress: progress() }).catch(() => false);
    }
  } finally {
    clearInterval(heartbeat);
    clearInterval(cancelPoll);
    outerSignal.removeEventListener('abort', abortOuter);
    cancelSignal?.removeEventListener('abort', cancelNow);
    await connections.closeAll();
  }
}
