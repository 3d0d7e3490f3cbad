import type { Problem, Progress, Step, StepKind } from '../domain/operation.ts';
import type { Logger } from '../logger.ts';
import { NodeConnections } from '../redis/nodeConnections.ts';
import { getClusterByName, setClusterPhase, setRedisNodeIds } from '../store/clusters.ts';
import type { Database } from '../store/database.ts';
import { appendEvent } from '../store/events.ts';
import { finishOperation, renewLease, saveProgress } from '../store/operations.ts';
import type { OperationRecord } from '../store/records.ts';
import type { StepExecutor } from './stepContext.ts';
import { toProblem } from './stepFailure.ts';

export interface RunDeps {
  readonly db: Database;
  readonly workerId: string;
  readonly leaseSeconds: number;
  readonly log: Logger;
  readonly executors: Readonly<Partial<Record<StepKind, StepExecutor>>>;
  readonly cleanupSteps: readonly StepKind[];
  readonly now?: () => Date;
}

/** Raised internally when the lease was lost: another worker owns the operation now, so stop writing. */
class LeaseLost extends Error {}

/**
 * Runs the remaining steps of a claimed operation in order and records each step, the progress
 * and the events as it goes. Steps already `succeeded` (a resumed run) are not run again; a step
 * left `running` by a crashed worker runs again, which is safe because every step is idempotent.
 * Cleanup steps run even after a failure. The lease is renewed every third of its length; if a
 * renewal finds the operation owned by someone else, the run stops without writing anything more.
 */
export async function runOperation(deps: RunDeps, claimed: OperationRecord, outerSignal: AbortSignal): Promise<void> {
  const { db, workerId, log } = deps;
  const now = deps.now ?? (() => new Date());
  const steps: Step[] = structuredClone(claimed.steps);
  const controller = new AbortController();
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

  const cluster = await getClusterByName(db, claimed.clusterName);
  const connections = new NodeConnections(cluster?.auth ?? undefined);
  const progress = (): Progress => {
    const done = steps.filter((s) => s.status === 'succeeded' || s.status === 'skipped').length;
    return {
      percent: Math.round((done / steps.length) * 1000) / 10,
      stepsDone: done,
      stepsTotal: steps.length,
      currentStep: steps.find((s) => s.status === 'running')?.id ?? null,
    };
  };
  const save = async () => {
    if (!(await saveProgress(db, claimed.id, workerId, { steps, progress: progress() }))) {
      leaseLost = true;
      throw new LeaseLost('lease lost');
    }
  };
  const event = (type: string, message: string, data?: Record<string, unknown>) =>
    appendEvent(db, { operationId: claimed.id, type, message, ...(data ? { data } : {}) });

  let failure: Problem | null = null;
  try {
    if (!cluster) throw new Error(`cluster "${claimed.clusterName}" no longer exists`);
    await event(claimed.attempts > 1 ? 'operation_resumed' : 'operation_started',
      `${claimed.attempts > 1 ? 'resumed' : 'started'} by worker ${workerId} (attempt ${claimed.attempts})`);
    for (const step of steps) {
      if (step.status === 'succeeded' || step.status === 'skipped') continue;
      const cleanup = deps.cleanupSteps.includes(step.kind);
      if (failure && !cleanup) {
        step.status = 'skipped';
        step.detail = 'not run: an earlier step failed';
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
          operation: claimed, cluster, step, steps, connections, signal: controller.signal, log,
          saveOutputs: async (outputs) => {
            step.outputs = { ...step.outputs, ...outputs };
            await save();
          },
          recordNodeIds: (ids) => setRedisNodeIds(db, cluster.id, ids),
        });
        step.status = 'succeeded';
        step.detail = result.detail;
        step.finishedAt = now().toISOString();
        await save();
        await event('step_succeeded', `${step.title}: ${result.detail}`, { step: step.id });
      } catch (err) {
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
    const status = failure ? 'failed' : 'succeeded';
    const owned = await finishOperation(db, claimed.id, workerId, { status, error: failure, steps, progress: progress() });
    if (!owned) return;
    await setClusterPhase(db, cluster.id, failure ? 'failed' : 'ready');
    await event(`operation_${status}`, failure ? `failed: ${failure.detail}` : 'succeeded');
    log.info(`operation ${status}`, { operation: claimed.id, cluster: claimed.clusterName, kind: claimed.kind });
  } catch (err) {
    if (err instanceof LeaseLost || leaseLost) {
      log.warn('stopped an operation this worker no longer owns', { operation: claimed.id });
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
    outerSignal.removeEventListener('abort', abortOuter);
    await connections.closeAll();
  }
}
