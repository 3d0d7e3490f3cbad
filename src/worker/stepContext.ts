import type { Step } from '../domain/operation.ts';
import type { NodeConnections } from '../redis/nodeConnections.ts';
import type { Logger } from '../logger.ts';
import type { ClusterRecord, OperationRecord } from '../store/records.ts';

/** Everything a step executor may use. Executors look at the real state first and skip what is done. */
export interface StepContext {
  readonly operation: OperationRecord;
  readonly cluster: ClusterRecord;
  readonly step: Step;
  /** All steps of the operation, for reading what earlier steps recorded in `outputs`. */
  readonly steps: readonly Step[];
  readonly connections: NodeConnections;
  /** Aborts when the worker loses its lease or shuts down. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Persists outputs on the step right away, before the step goes on (so a resumed run sees them). */
  saveOutputs(outputs: Record<string, unknown>): Promise<void>;
  /** Records the node ids learned while building the cluster. */
  recordNodeIds(ids: Record<string, string>): Promise<void>;
  /**
   * Reports progress inside a long step (slots and keys moved so far in this operation). Cheap to
   * call often: the runner derives rate and ETA and stores it at most twice a second.
   */
  reportProgress(progress: StepProgress): void;
  /** Keys this operation moved before this step started, in this run or a run it resumes. */
  readonly keysMovedSoFar: number;
}

export interface StepProgress {
  readonly slotsMoved: number;
  readonly slotsTotal: number;
  readonly keysMoved: number;
}

/** What an executor reports: a one-line detail for humans. */
export interface StepResult {
  readonly detail: string;
}

export type StepExecutor = (ctx: StepContext) => Promise<StepResult>;
