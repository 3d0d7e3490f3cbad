import type { ObservedRole, ServedSlots } from '../domain/desiredTopology.ts';
import type { ClusterSpec } from '../store/records.ts';
import type { StepExecutor } from './stepContext.ts';

/** Writes what the nodes report (served slots, roles) into a cluster's desired topology; false when it was already so. */
export type RecordServed = (clusterId: string, served: readonly ServedSlots[], roles: readonly ObservedRole[], known: ClusterSpec) => Promise<boolean>;

/**
 * The cleanup step of every operation that moves slots: the desired topology's shard slots become
 * what the masters serve now, and its roles what the nodes report (a master Redis turned into a
 * replica is recorded as one), each reachable node asked itself, so the spec follows a reshard, a
 * rebalance, a drain or a fix, also one that failed or was cancelled halfway. A shard whose nodes
 * cannot be asked keeps what it had; nothing fails for that.
 */
export function recordServedSlotsExecutor(record: RecordServed): StepExecutor<'record_slots'> {
  return async (ctx) => {
    const { nodes, reached, unreachable } = await ctx.observeNodes();
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const specAddressOf = new Map(reached.map((r) => [r.nodeId, r.address]));
    const served = reached.flatMap(({ address, nodeId }): ServedSlots[] => {
      const node = byId.get(nodeId);
      return node?.role === 'master' ? [{ address, slots: node.slots }] : [];
    });
    const roles = reached.flatMap(({ address, nodeId }): ObservedRole[] => {
      const node = byId.get(nodeId);
      if (!node) return [];
      return [{ address, role: node.role, master: node.masterId === null ? null : (specAddressOf.get(node.masterId) ?? null) }];
    });
    // The spec as the run read it is most likely still the one stored: tried first without a read.
    const changed = await record(ctx.cluster.id, served, roles, ctx.cluster.spec);
    const skipped = unreachable.length > 0 ? `; ${unreachable.map((u) => u.address).join(', ')} could not be asked` : '';
    return { detail: `${changed ? 'recorded' : 'already recorded'} the slots of ${served.length} masters and the roles of ${roles.length} nodes in the desired topology${skipped}` };
  };
}
