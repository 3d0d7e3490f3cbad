import type { ServedSlots } from '../domain/desiredTopology.ts';
import { observeCluster } from '../redis/observeCluster.ts';
import type { StepExecutor } from './stepContext.ts';

/** Writes the slots the masters serve into a cluster's desired topology; false when it was already so. */
export type RecordServed = (clusterId: string, served: readonly ServedSlots[]) => Promise<boolean>;

/**
 * The cleanup step of every operation that moves slots: the desired topology's shard slots become
 * what the masters serve now, as each reachable master reports it itself, so the spec follows a
 * reshard, a rebalance, a drain or a fix, also one that failed or was cancelled halfway. A shard
 * whose master cannot be asked keeps its slots; nothing fails for that.
 */
export function recordServedSlotsExecutor(record: RecordServed): StepExecutor<'record_slots'> {
  return async (ctx) => {
    const { nodes, reached, unreachable } = await observeCluster(ctx.cluster.spec.nodes, ctx.cluster.auth ?? undefined);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const served = reached.flatMap(({ address, nodeId }): ServedSlots[] => {
      const node = byId.get(nodeId);
      return node?.role === 'master' ? [{ address, slots: node.slots }] : [];
    });
    const changed = await record(ctx.cluster.id, served);
    const skipped = unreachable.length > 0 ? `; ${unreachable.map((u) => u.address).join(', ')} could not be asked` : '';
    return { detail: `${changed ? 'recorded' : 'already recorded'} the slots of ${served.length} masters in the desired topology${skipped}` };
  };
}
