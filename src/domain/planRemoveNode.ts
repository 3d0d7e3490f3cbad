import type { MigrationEngine } from './chooseMigration.ts';
import { engineTitle } from './planSlotMoves.ts';
import type { NodeRef } from './nodeRef.ts';
import { plan, type Plan } from './plan.ts';
import { slotsMovedBy, type SlotMove } from './slotMove.ts';
import type { ReplicaPair } from './stepParams.ts';
import { buildSteps, RECORD_SLOTS_STEP, step, type StepSpec } from './steps.ts';
import { attachTuning, waitTopologyStep } from './topologySteps.ts';

export interface RemoveNodePlanInput {
  readonly node: NodeRef & { readonly role: 'master' | 'replica' };
  /** Moves that drain the node's slots (empty for a replica or an empty master). */
  readonly drain: readonly SlotMove[];
  /** Every master now, for the drain's checks and SETSLOT NODE announcements. */
  readonly masters: readonly NodeRef[];
  /** Where each of the node's replicas goes. */
  readonly replicas: readonly (ReplicaPair & { readonly replicaId: string })[];
  /** The nodes that stay (they all must forget the node). */
  readonly remaining: readonly string[];
  /** Wait for design.md's readiness at the end (default true; false while other dead nodes are still known). */
  readonly awaitReady?: boolean;
  /** Reset the node afterwards (false when it is unreachable: it can only be forgotten). */
  readonly reset: boolean;
  /** The node is in the desired topology but never joined: it only leaves the desired topology. */
  readonly neverJoined?: boolean;
  /**
   * The node is dead and still serves this many slots, which are given up with it (asked for with
   * `force`): the other nodes forget it although they see it serving slots, and the cluster is not
   * expected to be ready afterwards (`fix` assigns the slots).
   */
  readonly abandonSlots?: number;
  /** MIGRATE timeout in ms for the drain (absent: the default). */
  readonly migrateTimeoutMs?: number | undefined;
  /** How the drain's slots travel (see `chooseMigration`); absent: key by key. */
  readonly engine?: MigrationEngine;
  /** Said in the summary, e.g. that the removal leaves fewer than 3 masters serving slots. */
  readonly note?: string | null;
  readonly timeoutSeconds: number;
}

/**
 * The plan that removes a node: drain a master's slots with their keys to the other masters (the
 * reshard steps, with replica migration held off so the master stays a master until its last slot
 * is gone), move its replicas to their new masters (their node timeout lowered and the new masters'
 * diskless sync delay, see `attachTuning`), make every other node forget it and reset it, then wait until no node
 * knows it and the rest of the cluster is ready. Cleanup restores what was tuned or held.
 *
 * Forgetting and resetting are one step on purpose: `CLUSTER FORGET` bans the node id for 60 s
 * only, and a node that was not reset in that time gossips itself back in. One step means a
 * resumed run forgets again before it resets, so a crash between the two cannot outlast the ban.
 */
export function planRemoveNode(input: RemoveNodePlanInput): Plan {
  const { drain, masters, replicas, remaining, reset, timeoutSeconds, abandonSlots = 0 } = input;
  const node: NodeRef = { id: input.node.id, address: input.node.address };
  const specs: StepSpec[] = [];
  const slots = slotsMovedBy(drain);
  const targets = new Set(drain.map((m) => m.to.id)).size;
  if (slots > 0) {
    const held = [node.address, ...replicas.map((p) => p.replica)];
    specs.push(
      step('check_cluster', 'Check that every master is reachable and no slot is open', { masters }),
      step('hold_replica_migration', `Keep ${node.address} a master until its last slot is gone`, { nodes: held }),
      step('move_slots', `Move the ${slots} slots of ${node.address} to ${targets} other ${targets === 1 ? 'master' : 'masters'} with their keys${engineTitle(input.engine)}`, {
        moves: drain, masters, replace: false, ...(input.migrateTimeoutMs === undefined ? {} : { migrateTimeoutMs: input.migrateTimeoutMs }),
        ...(input.engine ? { engine: input.engine } : {}),
      }),
    );
  }
  const moved = replicas.map((p) => p.replica);
  const newMasters = [...new Set(replicas.map((p) => p.master.address))];
  const tuning = attachTuning(moved, newMasters);
  if (replicas.length > 0) {
    specs.push(step('tune_nodes', `Lower the node timeout of ${moved.join(', ')} so every node sees their new masters at once, and the diskless sync delay of ${newMasters.join(', ')} so their syncs start at once`,
      tuning));
    specs.push(step('replicate_nodes', replicas.map((p) => `Make ${p.replica} a replica of ${p.master.address}`).join('; '), {
      pairs: replicas.map((p) => ({ replica: p.replica, master: p.master })),
    }));
  }
  specs.push(
    step('forget_node', `Make ${remaining.length} nodes forget ${node.address}${reset ? `, then reset ${node.address}` : ''}`, {
      node, nodes: remaining, reset, ...(abandonSlots > 0 ? { abandonSlots: true } : {}),
    }),
    waitTopologyStep(`Wait until no node knows ${node.address}${abandonSlots > 0 || input.awaitReady === false ? '' : ' and the cluster is ready'}`, {
      nodes: remaining,
      expect: replicas.map((p) => ({ address: p.replica, role: 'replica', master: p.master.address })),
      absent: [node],
      ready: abandonSlots === 0 && (input.awaitReady ?? true),
      timeoutSeconds,
    }),
  );
  if (replicas.length > 0) {
    specs.push(step('restore_config', `Restore the node timeout of ${moved.join(', ')} and the diskless sync delay of ${newMasters.join(', ')}`, { nodes: tuning.nodes }));
  }
  if (slots > 0) specs.push(RECORD_SLOTS_STEP, step('restore_replica_migration', `Restore replica migration on ${node.address} and its replicas`, {}));

  const summary = input.neverJoined
    ? `take ${node.address}, which never joined, out of the desired topology (the node itself is not touched)`
    : [
      `remove ${input.node.role} ${node.address}`,
      ...(slots > 0 ? [`moving its ${slots} slots to ${targets} other masters`] : []),
      ...(replicas.length > 0 ? [`its replicas follow ${replicas.map((p) => p.master.address).join(', ')}`] : []),
      ...(reset ? [] : ['it is unreachable, so it is forgotten but not reset']),
      ...(abandonSlots > 0 ? [`its ${abandonSlots} slots are left without a master (their keys are lost with it): run fix to assign them`] : []),
      ...(input.note ? [input.note] : []),
    ].join('; ');
  return plan('remove_node', summary, buildSteps(specs), {
    moves: drain,
    migration: slots > 0 ? input.engine ?? null : null,
    replicas: replicas.map((p) => ({ replica: { id: p.replicaId, address: p.replica }, master: p.master })),
  });
}
