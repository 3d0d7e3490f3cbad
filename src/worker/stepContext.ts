import type { OperationEventType } from '../domain/eventTypes.ts';
import type { StepOutputs } from '../domain/stepParams.ts';
import type { OutputsOf, Step, StepKind } from '../domain/steps.ts';
import type { Logger } from '../logger.ts';
import type { NodeConnections } from '../redis/nodeConnections.ts';
import type { ObservedCluster } from '../redis/observeCluster.ts';
import type { ClusterRecord, OperationRecord } from '../store/records.ts';

/** Everything an executor of a step of kind `K` may use. Executors look at the real state first and skip what is done. */
export interface StepContext<K extends StepKind = StepKind> {
  readonly operation: OperationRecord;
  readonly cluster: ClusterRecord;
  /** The step being run, its `params` typed by kind. */
  readonly step: Step<K>;
  readonly connections: NodeConnections;
  /** Aborts when the worker loses its lease or shuts down, and (except in cleanup steps) on a cancel. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Persists the step's outputs right away, before the step goes on (so a resumed run sees them). */
  saveOutputs(outputs: OutputsOf<K>): Promise<void>;
  /** Records the step's outputs, stored behind the run (for what a resumed run can also learn elsewhere). */
  recordOutputs(outputs: OutputsOf<K>): void;
  /** What the first earlier step of `kind` recorded (null when there is none or it recorded nothing). */
  outputsOf<J extends keyof StepOutputs>(kind: J): StepOutputs[J] | null;
  /**
   * Appends an event to the operation's timeline (the step's id is added to `data`), stored behind
   * the run, in order; `nodes`: the addresses of the nodes it concerns (the event's `nodes`).
   */
  event(type: OperationEventType, message: string, data?: Record<string, unknown>, nodes?: readonly string[]): void;
  /** Records the node ids learned while building the cluster. */
  recordNodeIds(ids: Record<string, string>): Promise<void>;
  /**
   * Reports progress inside a long step (slots and keys moved so far in this operation). Cheap to
   * call often: the runner derives rate and ETA and stores it at most twice a second.
   */
  reportProgress(progress: StepProgress): void;
  /** Keys this operation moved before this step started, in this run or a run it resumes. */
  readonly keysMovedSoFar: number;
  /**
   * What every node of the cluster's spec reports (`observeCluster` with `stats`). In the steps
   * after the last one that changes the nodes, one look serves the whole run (the one a step
   * handed over with `noteLook`, if the step just before made one): the same look is stored as
   * the cluster's observation when the operation ends.
   */
  observeNodes(): Promise<ObservedCluster>;
  /**
   * Hands over a look at every node of the spec (`observeCluster` with `stats`) that this step
   * made at its end: when no later step changes the nodes, it is the look `observeNodes` gives the
   * steps after it and the one stored when the operation ends, instead of asking the nodes again.
   */
  noteLook(look: ObservedCluster): void;
  /**
   * The look at the nodes this operation was planned from, while nothing says the nodes changed
   * since: only in the operation's first run, shortly after planning (see `PLANNED_LOOK_MS`), and
   * until a step of this run that changes the nodes has run. A step may read in it what planning
   * just read from the nodes instead of asking them again (null otherwise: ask them).
   */
  readonly plannedLook: PlannedLook | null;
}

/**
 * A look at every node of a cluster's spec, without the nodes' statistics; with the keys planning
 * counted in the slots of the first atomic jobs, by `jobSlotsKey` (a count per job, started while
 * the operation was being stored).
 */
export type PlannedLook = Omit<ObservedCluster, 'stats'> & { readonly jobKeys?: ReadonlyMap<string, Promise<number>> };

/** Slots and keys an operation moved so far. */
export interface StepProgress {
  readonly slotsMoved: number;
  readonly slotsTotal: number;
  readonly keysMoved: number;
  /**
   * Keys the step still has to move, estimated (atomic jobs: their counts less what reached their
   * targets so far); absent when the step cannot tell (the key engine, or a move not started yet).
   */
  readonly keysRemaining?: number;
}

/** What an executor reports: a one-line detail for humans. */
export interface StepResult {
  readonly detail: string;
}

/** Runs one step of kind `K`. */
export type StepExecutor<K extends StepKind> = (ctx: StepContext<K>) => Promise<StepResult>;

/**
 * One executor per step kind. A complete record: adding a kind to `StepParams` without an
 * executor fails to compile where the worker builds its table.
 */
export type StepExecutors = { readonly [K in StepKind]: StepExecutor<K> };

/** The executors of some kinds, as each worker module exports them. */
export type ExecutorsOf<K extends StepKind> = { readonly [P in K]: StepExecutor<P> };
