import type { ErrorKind } from './errors.ts';
import type { SlotRange } from './slotRange.ts';

export type { Step, StepKind, StepStatus } from './steps.ts';

export type OperationKind = 'create_cluster' | 'reshard' | 'rebalance' | 'fix' | 'add_node' | 'remove_node' | 'move_replica' | 'failover';

export type OperationStatus = 'queued' | 'running' | 'cancelling' | 'succeeded' | 'failed' | 'cancelled';

export const TERMINAL_STATUSES: readonly OperationStatus[] = ['succeeded', 'failed', 'cancelled'];

export function isTerminal(status: OperationStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** One shard of a planned cluster: a master, its replicas and its slots. Addresses are `host:port`. */
export interface ShardPlan {
  readonly index: number;
  readonly master: string;
  readonly replicas: readonly string[];
  readonly slots: readonly SlotRange[];
}

/** Progress of an operation, stored on its row and shown to callers. */
export interface Progress {
  percent: number;
  stepsDone: number;
  stepsTotal: number;
  currentStep: string | null;
  slotsMoved?: number;
  slotsTotal?: number;
  keysMoved?: number;
  /** Keys moved per second, measured over the current run (not the throttle's limit). */
  keysPerSecond?: number;
  /**
   * Keys still to move, estimated (the atomic engine: its jobs' key counts less what reached their
   * targets so far); null while the running step cannot tell (the key engine; a move not started).
   */
  keysRemaining?: number | null;
  etaSeconds?: number | null;
}

/** A node to blame for a failure, and why. */
export interface NodeProblem {
  readonly address: string;
  readonly reason: string;
}

/**
 * Why an operation failed, as stored on its row: a stable `code` and an error `kind` (each
 * transport maps the kind to its status), a title naming the step, a readable detail, and the
 * nodes to blame. The transports render it as RFC 9457 problem details.
 */
export interface OperationError {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly nodes?: readonly NodeProblem[];
}
