import type { LeftSetting } from './leftSettings.ts';
import type { MigrationEngine } from './chooseMigration.ts';
import type { MigrationJob } from './migrationJob.ts';
import type { NodeRef } from './nodeRef.ts';
import type { SlotAssignment, StrayKeys } from './planCoverage.ts';
import type { FailoverMode } from './planFailover.ts';
import type { SlotResolution } from './planFix.ts';
import type { SlotMove } from './slotMove.ts';
import type { SlotRange } from './slotRange.ts';

/** Redis configuration parameters and their values, as `CONFIG GET`/`CONFIG SET` take them. */
export type Tunables = Readonly<Record<string, string>>;

/** A replica (by address) and the master it must follow. */
export interface ReplicaPair {
  readonly replica: string;
  readonly master: NodeRef;
}

/** A role every node must report for `address` before a topology change counts as done. */
export interface RoleExpectation {
  readonly address: string;
  readonly role: 'master' | 'replica';
  /** For a replica: the address of its master. */
  readonly master?: string;
}

/** Parameters of `wait_topology`, the last step of every topology change. */
export interface WaitTopologyParams {
  /** The nodes that must all see the expected roles (and, with `ready`, be ready). */
  readonly nodes: readonly string[];
  readonly expect: readonly RoleExpectation[];
  /** Nodes no one may know any more (a removed node). */
  readonly absent: readonly NodeRef[];
  /** Also require design.md's readiness over `nodes` (false only when some node is down). */
  readonly ready: boolean;
  /** Replicas whose link to their master must be up (`master_link_status:up`), for when `ready` cannot be asked. */
  readonly inSync?: readonly string[];
  readonly timeoutSeconds: number;
}

/**
 * Every kind of step, of every kind of operation, with the parameters its planner freezes into the
 * plan. A step reads only its own parameters (and typed outputs of earlier steps, see
 * {@link StepOutputs}); the worker's executor table has one executor per key. The field names are
 * the stored JSON of the operation row, so they change only with a migration of stored plans.
 * Addresses are `host:port`; durations carry their unit in the name.
 */
export interface StepParams {
  /** Create: every node is reachable, empty, alone, in cluster mode. */
  readonly check_nodes: { readonly nodes: readonly string[] };
  /**
   * Lower settings for the duration of an operation (saved first, restored by `restore_config`):
   * `settings` on each node, or, for a node `settingsOf` names, what it gives there.
   */
  readonly tune_nodes: { readonly nodes: readonly string[]; readonly settings: Tunables; readonly settingsOf?: Readonly<Record<string, Tunables>> };
  /**
   * Nodes of a cluster with a password get it as `masterauth` (and `masteruser`) where they have
   * none, so any of them can replicate (the credentials come from the cluster, never from params).
   */
  readonly set_master_auth: { readonly nodes: readonly string[] };
  /**
   * The function libraries most of `from` hold are copied to each of `to` that holds none (a
   * node that will serve slots must have them, or FCALL fails there); a node holding different
   * ones fails the step.
   */
  readonly copy_functions: { readonly from: readonly string[]; readonly to: readonly string[] };
  /** Create: `CLUSTER SET-CONFIG-EPOCH` per node address. */
  readonly set_config_epochs: { readonly epochs: Readonly<Record<string, number>> };
  /** Create: `CLUSTER ADDSLOTSRANGE` per master address. */
  readonly assign_slots: { readonly assignments: readonly { readonly node: string; readonly slots: readonly SlotRange[] }[] };
  /** Create: every node meets every other. */
  readonly meet_nodes: { readonly nodes: readonly string[] };
  /** Create: `CLUSTER REPLICATE`, replica and master by address. */
  readonly assign_replicas: { readonly replicas: readonly { readonly replica: string; readonly master: string }[] };
  /** Create: design.md's readiness over the spec's nodes, then the planned roles. */
  readonly wait_ready: { readonly timeoutSeconds: number };
  /** Cleanup: puts back what `tune_nodes` saved. */
  readonly restore_config: { readonly nodes: readonly string[] };
  /** Before slots move: these masters are still masters, every node answers, nothing is open. */
  readonly check_cluster: { readonly masters: readonly NodeRef[] };
  /** Live resharding of `moves`; `masters` are told every new owner (`SETSLOT NODE`). */
  readonly move_slots: {
    readonly moves: readonly SlotMove[];
    readonly masters: readonly NodeRef[];
    /** Overwrite keys that exist on the target with different values (BUSYKEY). */
    readonly replace: boolean;
    /** Throttle: keys moved per second at most, all sources together; absent: no limit. */
    readonly maxKeysPerSecond?: number;
    /** MIGRATE timeout in ms; absent: the default (see `MIGRATE_TIMEOUT_MS`). */
    readonly migrateTimeoutMs?: number;
    /** How the slots move, and why (absent in plans stored before engines were chosen: keys). */
    readonly engine?: MigrationEngine;
  };
  /** After slots moved: every node agrees on the owners. */
  readonly wait_converged: { readonly timeoutSeconds: number };
  /**
   * Fix: gives each slot that no master serves to its planned owner (`CLUSTER ADDSLOTSRANGE`,
   * then `SETSLOT NODE` on the other masters), then moves stray keys of those slots to the owner.
   */
  readonly cover_slots: {
    readonly assignments: readonly SlotAssignment[];
    readonly strays: readonly StrayKeys[];
    readonly masters: readonly NodeRef[];
    /** Overwrite keys the owner holds with different values (BUSYKEY) with the moving copy. */
    readonly replace?: boolean;
    readonly migrateTimeoutMs?: number;
  };
  /** Fix: closes each open slot toward its resolved owner; `replace` as for `cover_slots`. */
  readonly close_open_slots: {
    readonly resolutions: readonly SlotResolution[];
    readonly masters: readonly NodeRef[];
    readonly replace?: boolean;
    readonly migrateTimeoutMs?: number;
  };
  /** Add: the new node is fit to join (or already joined, on a resumed run). */
  readonly check_new_node: { readonly address: string; readonly memberIds: readonly string[] };
  /** Add: every member meets the new node. */
  readonly meet_new_node: { readonly address: string; readonly members: readonly string[] };
  /** Add: the new node and every member know each other. */
  readonly wait_known: { readonly address: string; readonly members: readonly string[]; readonly timeoutSeconds: number };
  /** `CLUSTER REPLICATE` for each pair. */
  readonly replicate_nodes: { readonly pairs: readonly ReplicaPair[] };
  /**
   * Remove: every remaining node forgets `node`, which is then reset when `reset`. With
   * `abandonSlots` (a dead master removed with force) the nodes forget it although they see it
   * serving slots.
   */
  readonly forget_node: { readonly node: NodeRef; readonly nodes: readonly string[]; readonly reset: boolean; readonly abandonSlots?: boolean };
  /** `CLUSTER FAILOVER [FORCE|TAKEOVER]` on `replica`, which must still follow `master`. */
  readonly failover: { readonly replica: NodeRef; readonly master: NodeRef; readonly mode: FailoverMode };
  /** The closing step of every topology change. */
  readonly wait_topology: WaitTopologyParams;
  /** Cleanup of an add: a node that never joined leaves the desired topology again. */
  readonly release_new_node: { readonly address: string; readonly members: readonly string[] };
  /** Cleanup of every slot movement: the spec's shard slots become what the masters serve. */
  readonly record_slots: Readonly<Record<string, never>>;
  /** Drain: keeps the drained master (and its replicas) from migrating roles until it is empty. */
  readonly hold_replica_migration: { readonly nodes: readonly string[] };
  /** Cleanup of a drain: puts back what `hold_replica_migration` saved. */
  readonly restore_replica_migration: Readonly<Record<string, never>>;
  /**
   * Fix: puts back settings that finished operations left changed (see `settingsLeftChanged`),
   * each only while the node still has the value it was left with.
   */
  readonly restore_settings: { readonly settings: readonly LeftSetting[] };
}

/** Every kind of step. */
export type StepKind = keyof StepParams;

/**
 * What a step records while it runs, for a resumed run of itself and for the cleanup steps that
 * undo it (stored on the step as `outputs`). Kinds not listed record nothing.
 */
export interface StepOutputs {
  /** The nodes' own values, read before anything changed: `{ address: { parameter: value } }`. */
  readonly tune_nodes: { readonly originals: Readonly<Record<string, Tunables>> };
  /** `cluster-allow-replica-migration` per address, read before anything changed. */
  readonly hold_replica_migration: { readonly originals: Readonly<Record<string, string>> };
  /** The new node's id, learned by its check. */
  readonly check_new_node: { readonly nodeId: string };
  /** The atomic engine's jobs, each recorded before it is asked for (the key engine records nothing). */
  readonly move_slots: { readonly jobs: readonly MigrationJob[] };
}

/** The outputs of a step of kind `K` (never: that kind records nothing). */
export type OutputsOf<K extends StepKind> = K extends keyof StepOutputs ? StepOutputs[K] : never;
