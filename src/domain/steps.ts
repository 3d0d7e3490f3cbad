import type { OutputsOf, StepKind, StepParams } from './stepParams.ts';

export type { OutputsOf, StepKind, StepParams } from './stepParams.ts';

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

/**
 * A step of an operation's frozen plan, discriminated by `kind`: `params` is fixed at plan time
 * and typed by kind; the rest changes as it runs. `Step` alone is the union of every kind.
 *
 * @example
 *   if (step.kind === 'move_slots') step.params.moves // readonly SlotMove[], no cast
 */
export type Step<K extends StepKind = StepKind> = {
  [P in K]: {
    readonly id: string;
    readonly kind: P;
    readonly title: string;
    readonly params: StepParams[P];
    status: StepStatus;
    startedAt: string | null;
    finishedAt: string | null;
    detail: string | null;
    /** What the step learned that a resumed run of it, or a cleanup step, needs (e.g. original config values). */
    outputs: OutputsOf<P> | null;
  };
}[K];

/** One step as a planner writes it: kind, human title, frozen parameters. */
export type StepSpec<K extends StepKind = StepKind> = { [P in K]: readonly [kind: P, title: string, params: StepParams[P]] }[K];

/**
 * A step spec, with its parameters checked against its kind.
 *
 * @example step('wait_converged', 'Wait until every node agrees', { timeoutSeconds: 60 })
 */
export function step<K extends StepKind>(kind: K, title: string, params: StepParams[K]): StepSpec<K> {
  return [kind, title, params];
}

/** Numbers the specs into pending steps (`1-check_new_node`, ...). */
export function buildSteps(specs: readonly StepSpec[]): Step[] {
  return specs.map((spec, i) => pendingStep(spec, i));
}

function pendingStep<K extends StepKind>([kind, title, params]: StepSpec<K>, index: number): Step<K> {
  return { id: `${index + 1}-${kind}`, kind, title, params, status: 'pending', startedAt: null, finishedAt: null, detail: null, outputs: null };
}

/**
 * A type guard for steps of one kind.
 *
 * @example op.steps.find(isStepOf('move_slots'))?.params.moves
 */
export function isStepOf<K extends StepKind>(kind: K): (s: Step) => s is Extract<Step, { kind: K }> {
  return (s): s is Extract<Step, { kind: K }> => s.kind === kind;
}

/**
 * Steps that run even after an earlier step failed or the operation was cancelled, so that a node
 * is never left changed (restored settings) and the desired topology follows what really happened.
 */
export const CLEANUP_STEP_KINDS: ReadonlySet<StepKind> = new Set<StepKind>(['restore_config', 'restore_replica_migration', 'release_new_node', 'record_slots']);

/**
 * The last step of every operation that moves slots, and a cleanup step (it runs also after a
 * failure or a cancel): the desired topology's shard slots become what the masters serve now.
 */
export const RECORD_SLOTS_STEP = step('record_slots', 'Record the slots each master serves in the desired topology', {});
