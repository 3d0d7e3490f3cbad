import type { OperationError } from '../domain/operation.ts';
import type { StepOutputs } from '../domain/stepParams.ts';
import { CLEANUP_STEP_KINDS, isStepOf, type Step, type StepKind } from '../domain/steps.ts';
import type { Logger } from '../logger.ts';
import type { NodeConnections } from '../redis/nodeConnections.ts';
import { observeCluster, type ObservedCluster } from '../redis/observeCluster.ts';
import type { ClusterRecord, OperationRecord } from '../store/records.ts';
import type { ProgressMeter } from './progressMeter.ts';
import type { PlannedLook, StepContext, StepExecutors, StepResult } from './stepContext.ts';
import { toOperationError } from './stepFailure.ts';

/**
 * Where the loop records what happens. Records are stored behind the run, in order (see
 * `RunJournal`): a step's start and end need not be stored before the run goes on, because a
 * resumed run repeats a step whose end was not stored.
 */
export interface StepRecorder {
  /** Records the steps and the progress as they are now. */
  save(): void;
  /** Appends an event to the operation's timeline; `nodes`: the addresses of the nodes it concerns. */
  event(type: string, message: string, data?: Record<string, unknown>, nodes?: readonly string[]): void;
  /** Resolves once the steps as they are now are stored; rejects when the run lost its lease. */
  flushState(): Promise<void>;
  /** Starts storing what is recorded so far now, not waiting for it (the run is about to wait on the nodes). */
  storeWhileWaiting(): void;
}

/** Step kinds that only read the nodes (and write the desired topology): a run ending with them leaves the nodes as they are before them. */
const NODE_READ_ONLY_TAIL_KINDS: ReadonlySet<StepKind> = new Set<StepKind>(['record_slots']);
/**
 * Step kinds that wait for the nodes to settle, polling them: what the run recorded before one is
 * stored as it starts. After an atomic job the source holds its thread for tens of ms deleting the
 * keys it handed over (Redis 8 here: 40-60 ms for ~16,600 keys), and nothing can go on until it
 * answers: the write that would otherwise wait for the group commit, or go with the run's end
 * (a dozen events then), costs nothing there.
 */
const WAITING_KINDS: ReadonlySet<StepKind> = new Set<StepKind>(['wait_converged', 'wait_topology']);
/** Step kinds that only read the nodes: the look an operation was planned from still holds after them. */
const NODE_READ_ONLY_KINDS: ReadonlySet<StepKind> = new Set<StepKind>(['check_cluster']);

/** What every step of one run shares. */
export interface StepLoopOptions {
  readonly operation: OperationRecord;
  readonly cluster: ClusterRecord;
  /** The operation's steps, updated in place as they run (the recorder stores them). */
  readonly steps: Step[];
  readonly executors: StepExecutors;
  readonly connections: NodeConnections;
  /** Where looks at the whole cluster connect (with `LOOK_TIMEOUT_MS`); `connections` when absent. */
  readonly lookConnections?: NodeConnections;
  readonly meter: ProgressMeter;
  readonly recorder: StepRecorder;
  /** Records node ids learned while building a cluster. */
  readonly recordNodeIds: (ids: Record<string, string>) => Promise<void>;
  /** Aborts when the run must stop writing (lease lost) or hand over (shutdown): cleanup steps stop too. */
  readonly stop: AbortSignal;
  /** Aborts on a cancel request: ordinary steps stop at a safe point, cleanup steps still run. */
  readonly cancel: AbortSignal;
  readonly now: () => Date;
  readonly log: Logger;
  /**
   * Told once, before the trailing steps that only write the desired topology (`record_slots`)
   * run, or when the steps end without such a tail: the nodes will not change any more in this
   * run. `look` gives the run's one look at the settled nodes (made at the first call), which the
   * tail steps read too (see `StepContext.observeNodes`).
   */
  readonly onNodesSettled?: (look: () => Promise<ObservedCluster>) => void;
  /** The look the operation was planned from, when this run may trust it (see `StepContext.plannedLook`). */
  readonly plannedLook?: PlannedLook | undefined;
}

/** How the steps ended. */
export type StepLoopOutcome =
  | { readonly status: 'succeeded' | 'cancelled' }
  | { readonly status: 'failed'; readonly error: OperationError };

/**
 * The run stopped without an outcome: its lease was lost or the worker is shutting down. The step
 * in flight stopped at a safe point and is left as it is, for the next owner to run again.
 */
export class RunStopped extends Error {
  override readonly name = 'RunStopped';
}

/**
 * Runs the steps that have not succeeded yet, in order, recording each as it starts and ends.
 * Steps already `succeeded` (a resumed run) are not run again; a step left `running` by a crashed
 * worker runs again, which is safe because every step is idempotent. After a failure or a cancel
 * the remaining ordinary steps are skipped but cleanup steps still run (`CLEANUP_STEP_KINDS`); a
 * failing cleanup step is reported but does not replace the failure that caused it. Throws
 * {@link RunStopped} when `stop` aborts.
 */
export async function runSteps(opts: StepLoopOptions): Promise<StepLoopOutcome> {
  const { steps, recorder, log } = opts;
  let failure: OperationError | 'cancelled' | null = null;
  // The look a step handed over at its end (noteLook), while no step has run after it.
  let noted: ObservedCluster | null = null;
  let settled = false;
  let handedOver: ObservedCluster | null = null;
  let settledLook: Promise<ObservedCluster> | null = null;
  const lookAtSettled = (): Promise<ObservedCluster> => {
    settledLook ??= handedOver ? Promise.resolve(handedOver) : lookAtNodes(opts);
    return settledLook;
  };
  const settle = (): void => {
    if (settled) return;
    settled = true;
    // Made by the step that ran last, after which nothing changed the nodes.
    handedOver = noted;
    opts.onNodesSettled?.(lookAtSettled);
  };
  const look: Looks = {
    settled: () => (settled ? lookAtSettled() : null),
    note: (o) => {
      noted = o;
    },
  };
  // The look planning made holds until a step of this run that changes the nodes has run.
  let plannedLook = opts.plannedLook ?? null;
  for (const [index, step] of steps.entries()) {
    if (step.status === 'succeeded' || step.status === 'skipped') continue;
    const rest = steps.slice(index).filter((s) => s.status !== 'succeeded' && s.status !== 'skipped');
    if (rest.every((s) => NODE_READ_ONLY_TAIL_KINDS.has(s.kind))) settle();
    const cleanup = CLEANUP_STEP_KINDS.has(step.kind);
    if (!failure && opts.cancel.aborted && !cleanup) failure = 'cancelled';
    if (failure && !cleanup) {
      step.status = 'skipped';
      step.detail = failure === 'cancelled' ? 'not run: the operation was cancelled' : 'not run: an earlier step failed';
      continue;
    }
    if (opts.stop.aborted) throw new RunStopped('stopped', { cause: opts.stop.reason });
    noted = null;
    step.status = 'running';
    step.startedAt = opts.now().toISOString();
    step.finishedAt = null;
    recorder.save();
    recorder.event('step_started', step.title, { step: step.id });
    if (WAITING_KINDS.has(step.kind)) recorder.storeWhileWaiting();
    try {
      const ctx = contextFor(opts, step, cleanup, look, plannedLook);
      if (!NODE_READ_ONLY_KINDS.has(step.kind)) plannedLook = null;
      const result = await execute(opts.executors, ctx);
      step.status = 'succeeded';
      step.detail = result.detail;
      step.finishedAt = opts.now().toISOString();
      recorder.save();
      recorder.event('step_succeeded', `${step.title}: ${result.detail}`, { step: step.id });
    } catch (err) {
      if (opts.stop.aborted || err instanceof RunStopped) throw new RunStopped('stopped', { cause: err });
      if (opts.cancel.aborted) {
        // The executor stopped at a safe point; nothing is left half-done.
        step.status = 'skipped';
        step.finishedAt = opts.now().toISOString();
        step.detail = 'stopped: the operation was cancelled';
        recorder.save();
        recorder.event('step_cancelled', `${step.title}: stopped at a safe point`, { step: step.id });
        failure ??= 'cancelled';
        continue;
      }
      step.status = 'failed';
      step.finishedAt = opts.now().toISOString();
      const error = toOperationError(err, step.title);
      step.detail = error.detail;
      log.warn('step failed', { operation: opts.operation.id, step: step.id, code: error.code, detail: error.detail });
      recorder.save();
      recorder.event('step_failed', `${step.title}: ${error.detail}`, { step: step.id, code: error.code });
      failure ??= error;
    }
  }
  settle();
  if (failure === null) return { status: 'succeeded' };
  return failure === 'cancelled' ? { status: 'cancelled' } : { status: 'failed', error: failure };
}

/** Runs a step with the executor of its kind (the table is complete, so there always is one). */
function execute<K extends StepKind>(executors: StepExecutors, ctx: StepContext<K>): Promise<StepResult> {
  const executor = executors[ctx.step.kind];
  return executor(ctx);
}

/** What every node of the spec reports, on the connections for looks. */
function lookAtNodes(opts: StepLoopOptions): Promise<ObservedCluster> {
  return observeCluster(opts.cluster.spec.nodes, opts.cluster.auth ?? undefined, { stats: true, connections: opts.lookConnections ?? opts.connections });
}

/** A run's looks at its nodes: the one shared once they settled, and where a step hands one over. */
interface Looks {
  settled(): Promise<ObservedCluster> | null;
  note(look: ObservedCluster): void;
}

function contextFor<K extends StepKind>(opts: StepLoopOptions, step: Step<K>, cleanup: boolean, looks: Looks, plannedLook: PlannedLook | null): StepContext<K> {
  return {
    operation: opts.operation,
    cluster: opts.cluster,
    step,
    connections: opts.connections,
    log: opts.log,
    // A cleanup step ignores a cancel (it must run to the end), but not a lost lease.
    signal: cleanup ? opts.stop : AbortSignal.any([opts.stop, opts.cancel]),
    saveOutputs: async (outputs) => {
      step.outputs = outputs;
      opts.recorder.save();
      await opts.recorder.flushState();
    },
    recordOutputs: (outputs) => {
      step.outputs = outputs;
      opts.recorder.save();
    },
    outputsOf: (kind) => recordedOutputs(opts.steps)[kind],
    recordNodeIds: opts.recordNodeIds,
    event: (type, message, data, nodes) => opts.recorder.event(type, message, { step: step.id, ...data }, nodes),
    reportProgress: (moved) => {
      if (opts.meter.report(moved)) opts.recorder.save();
    },
    keysMovedSoFar: opts.meter.keysMoved,
    observeNodes: () => looks.settled() ?? lookAtNodes(opts),
    noteLook: looks.note,
    plannedLook,
  };
}

/** What the steps that record outputs have recorded so far, by kind (the first step of each kind). */
function recordedOutputs(steps: readonly Step[]): { readonly [J in keyof StepOutputs]: StepOutputs[J] | null } {
  return {
    get tune_nodes() {
      return steps.find(isStepOf('tune_nodes'))?.outputs ?? null;
    },
    get hold_replica_migration() {
      return steps.find(isStepOf('hold_replica_migration'))?.outputs ?? null;
    },
    get check_new_node() {
      return steps.find(isStepOf('check_new_node'))?.outputs ?? null;
    },
    get move_slots() {
      return steps.find(isStepOf('move_slots'))?.outputs ?? null;
    },
  };
}
