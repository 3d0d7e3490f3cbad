import type { Step } from './operation.ts';
import type { PlannedMove } from './planSlotMoveSteps.ts';
import { buildSteps, RECORD_SLOTS_STEP, ROLE_CHANGE_TUNING, waitTopologyStep, type NodeRef, type ReplicaPair, type StepSpec } from './topologySteps.ts';

export interface RemoveNodePlanInput {
  readonly node: NodeRef & { readonly role: 'master' | 'replica' };
  /** Moves that drain the node's slots (empty for a replica or an empty master). */
  readonly drain: readonly PlannedMove[];
  /** Every master now, for the drain's checks and SETSLOT NODE announcements. */
  readonly masters: readonly NodeRef[];
  /** Where each of the node's replicas goes. */
  readonly replicas: readonly ReplicaPair[];
  /** The nodes that stay (they all must forget the node). */
  readonly remaining: readonly string[];
  /** Reset the node afterwards (false when it is unreachable: it can only be forgotten). */
  readonly reset: boolean;
  readonly timeoutSeconds: number;
}

/**
 * The frozen steps that remove a node: drain a master's slots with their keys to the other
 * masters (the reshard steps, with replica migration held off so the master stays a master until
 * its last slot is gone), move its replicas to their new masters (their node timeout lowered,
 * see ROLE_CHANGE_TUNING), make every other node forget it and reset it, then wait until no node
 * knows it and the rest of the cluster is ready. Cleanup restores what was tuned or held.
 *
 * Forgetting and resetting are one step on purpose: `CLUSTER FORGET` bans the node id for 60 s
 * only, and a node that was not reset in that time gossips itself back in. One step means a
 * resumed run forgets again before it resets, so a crash between the two cannot outlast the ban.
 */
export function planRemoveNode(input: RemoveNodePlanInput): Step[] {
  const { drain, masters, replicas, remaining, reset, timeoutSeconds } = input;
  const node: NodeRef = { id: input.node.id, address: input.node.address };
  const specs: StepSpec[] = [];
  const slots = drain.reduce((n, m) => n + m.slotCount, 0);
  if (slots > 0) {
    const targets = new Set(drain.map((m) => m.to.id)).size;
    const held = [node.address, ...replicas.map((p) => p.replica)];
    specs.push(
      ['check_cluster', 'Check that every master is reachable and no slot is open', { masters }],
      ['hold_replica_migration', `Keep ${node.address} a master until its last slot is gone`, { nodes: held }],
      ['move_slots', `Move the ${slots} slots of ${node.address} to ${targets} other ${targets === 1 ? 'master' : 'masters'} with their keys`, { moves: drain, replace: false }],
    );
  }
  const moved = replicas.map((p) => p.replica);
  if (replicas.length > 0) {
    specs.push(['tune_nodes', `Lower the node timeout of ${moved.join(', ')} so every node sees their new masters at once`, { nodes: moved, settings: ROLE_CHANGE_TUNING }]);
    specs.push(['replicate_nodes', replicas.map((p) => `Make ${p.replica} a replica of ${p.master.address}`).join('; '), { pairs: replicas }]);
  }
  specs.push(
    ['forget_node', `Make ${remaining.length} nodes forget ${node.address}${reset ? `, then reset ${node.address}` : ''}`, { node, nodes: remaining, reset }],
    waitTopologyStep(`Wait until no node knows ${node.address} and the cluster is ready`, {
      nodes: remaining,
      expect: replicas.map((p) => ({ address: p.replica, role: 'replica' as const, master: p.master.address })),
      absent: [node],
      ready: true,
      timeoutSeconds,
    }),
  );
  if (replicas.length > 0) specs.push(['restore_config', `Restore the node timeout of ${moved.join(', ')}`, { nodes: moved }]);
  if (slots > 0) specs.push(RECORD_SLOTS_STEP);
  if (slots > 0) specs.push(['restore_replica_migration', `Restore replica migration on ${node.address} and its replicas`, {}]);
  return buildSteps(specs);
}
