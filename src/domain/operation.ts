import type { SlotRange } from './slotRange.ts';

export type OperationKind = 'create_cluster' | 'reshard' | 'rebalance' | 'fix' | 'add_node' | 'remove_node' | 'move_replica' | 'failover';

export type OperationStatus = 'queued' | 'running' | 'cancelling' | 'succeeded' | 'failed' | 'cancelled';

export const TERMINAL_STATUSES: readonly OperationStatus[] = ['succeeded', 'failed', 'cancelled'];

export function isTerminal(status: OperationStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

/** Every kind of step, of every kind of operation. */
export type StepKind =
  | 'check_nodes'
  | 'tune_nodes'
  | 'set_config_epochs'
  | 'assign_slots'
  | 'meet_nodes'
  | 'assign_replicas'
  | 'wait_ready'
  | 'restore_config'
  | 'check_cluster'
  | 'move_slots'
  | 'wait_converged'
  | 'close_open_slots'
  | 'check_new_node'
  | 'meet_new_node'
  | 'wait_known'
  | 'replicate_nodes'
  | 'forget_node'
  | 'failover'
  | 'wait_topology'
  | 'release_new_node'
  | 'record_slots'
  | 'hold_replica_migration'
  | 'restore_replica_migration';

/** One shard of a planned cluster: a master, its replicas and its slots. Addresses are `host:port`. */
export interface ShardPlan {
  readonly index: number;
  readonly master: string;
  readonly replicas: readonly string[];
  readonly slots: readonly SlotRange[];
}

/** A step of an operation's frozen plan. `params` is fixed at plan time; the rest changes as it runs. */
export interface Step {
  readonly id: string;
  readonly kind: StepKind;
  readonly title: string;
  readonly params: Readonly<Record<string, unknown>>;
  status: StepStatus;
  startedAt: string | null;
  finishedAt: string | null;
  detail: string | null;
  /** What a finished step learned that later steps or a resumed run need (e.g. original config values). */
  outputs: Record<string, unknown> | null;
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
  keysPerSecond?: number;
  etaSeconds?: number | null;
}

/** RFC 9457 problem details with our stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { pointer: string; reason: string }[];
  /** Nodes involved in the failure, with the reason for each. */
  nodes?: { address: string; reason: string }[];
}
