import type { MigrationJobState } from '../domain/migrationJob.ts';
import type { NodeRef } from '../domain/nodeRef.ts';
import type { SlotRange } from '../domain/slotRange.ts';
import type { OperationKind, OperationStatus, Progress } from '../domain/operation.ts';
import type { StepKind, StepStatus } from '../domain/steps.ts';
import type { ProblemView } from './problem.ts';

/** A step as every API shows it: its frozen title and how it went, never its parameters. */
export interface StepView {
  id: string;
  kind: StepKind;
  title: string;
  status: StepStatus;
  startedAt: string | null;
  finishedAt: string | null;
  detail: string | null;
  /** A `move_slots` step on the atomic engine: its jobs as the servers last reported them. */
  jobs?: MigrationJobView[];
}

/** One atomic slot migration job (Valkey's job name or Redis's task id in `id`). */
export interface MigrationJobView {
  id: string | null;
  from: NodeRef;
  to: NodeRef;
  slots: SlotRange[];
  slotCount: number;
  state: MigrationJobState;
  /** The server's own state name, e.g. `snapshotting`, `send-bulk-and-stream`, `success`. */
  phase: string;
  message: string;
  /** Keys its slots held on the source when it started. */
  keys: number;
  /** While it runs: keys of its slots that reached the target so far (an estimate, read every 0.5 s; null until read, and once it ended). */
  keysArrived: number | null;
  attempt: number;
}

/** The operation as every API shows it (the body of each 202, of GET /v1/operations/{id}, ...). Times are RFC 3339. */
export interface OperationView {
  id: string;
  kind: OperationKind;
  cluster: string;
  status: OperationStatus;
  steps: StepView[];
  progress: Progress;
  error: ProblemView | null;
  /** The name of the token that asked for it, or `healer` for a repair under the cluster's healing policy. */
  requestedBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/**
 * One entry of the event log: an operation's timeline (with `operationId`) or a change the
 * observer saw (`operationId` null). `id` grows with every event: a stream resumes after it.
 */
export interface EventView {
  id: string;
  at: string;
  type: string;
  /** One line for humans and chat windows. */
  message: string;
  cluster: string | null;
  operationId: string | null;
  /** Addresses of the nodes involved. */
  nodes: string[];
  data: Record<string, unknown> | null;
}
