import type { MigrationEngine } from './chooseMigration.ts';
import type { NodeRef } from './nodeRef.ts';
import type { OperationKind, ShardPlan } from './operation.ts';
import type { SlotAssignment } from './planCoverage.ts';
import type { SlotResolution } from './planFix.ts';
import type { SlotMove } from './slotMove.ts';
import type { Step } from './steps.ts';

/** A replica that will follow a (new) master. */
export interface ReplicaChange {
  readonly replica: NodeRef;
  readonly master: NodeRef;
}

/**
 * What every planner returns: the frozen steps the worker runs, and what they will do in terms a
 * caller reads in a dry run: the slot moves, the replica changes, a one-line summary, and for a
 * create its shards, for a fix how each open slot is closed and who gets each slot no master
 * serves (empty where they do not apply).
 */
export interface Plan {
  readonly kind: OperationKind;
  /** One line for humans and chat windows: what will happen. */
  readonly summary: string;
  readonly steps: readonly Step[];
  readonly moves: readonly SlotMove[];
  readonly replicas: readonly ReplicaChange[];
  readonly shards: readonly ShardPlan[];
  readonly resolutions: readonly SlotResolution[];
  readonly assignments: readonly SlotAssignment[];
  /** How the moves' slots travel, and why (null when nothing moves). */
  readonly migration: MigrationEngine | null;
}

/**
 * A plan with the lists that do not apply left empty.
 *
 * @example plan('failover', 'CLUSTER FAILOVER on 10.0.0.4:7000', steps, { replicas })
 */
export function plan(
  kind: OperationKind,
  summary: string,
  steps: readonly Step[],
  parts: Partial<Pick<Plan, 'moves' | 'replicas' | 'shards' | 'resolutions' | 'assignments' | 'migration'>> = {},
): Plan {
  return {
    kind,
    summary,
    steps,
    moves: parts.moves ?? [],
    replicas: parts.replicas ?? [],
    shards: parts.shards ?? [],
    resolutions: parts.resolutions ?? [],
    assignments: parts.assignments ?? [],
    migration: parts.migration ?? null,
  };
}
