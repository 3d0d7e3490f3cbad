import type { ClusterCheck } from '../../domain/checkCluster.ts';
import type { CreatePlanView } from '../../service/clusters.ts';
import type { FixPlanView } from '../../service/fixCluster.ts';
import type { PlanView } from '../../service/moveSlots.ts';
import type { TopologyPlanView } from '../../service/submitTopologyChange.ts';
import type { TokenView } from '../../service/tokens.ts';
import type { ClusterView, OperationView } from '../../service/views.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Protobuf has no null: absent fields are simply left out. */
function withoutNulls(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const mapped = withoutNulls(v);
      if (mapped !== undefined) out[k] = mapped;
    }
    return out;
  }
  return value;
}

const slotRanges = (ranges: readonly (readonly [number, number])[]) => ranges.map(([start, end]) => ({ start, end }));

/** The Operation message for an operation view. */
export function operationMessage(op: OperationView): unknown {
  return withoutNulls(op as unknown as Json);
}

/** The Cluster message for a cluster view (slot ranges become SlotRange messages). */
export function clusterMessage(c: ClusterView): unknown {
  return withoutNulls({
    ...c,
    spec: { ...c.spec, shards: c.spec.shards.map((s) => ({ ...s, slots: slotRanges(s.slots) })) },
    observed: c.observed && {
      ...c.observed,
      nodes: c.observed.nodes.map((n) => ({ ...n, slots: slotRanges(n.slots) })),
    },
  });
}

/** The ClusterCheck message (disagreeing nodes reuse the address/reason shape of UnreachableNode). */
export function checkMessage(c: ClusterCheck & { cluster: string; checkedAt: string }): unknown {
  return withoutNulls({ ...c, uncoveredSlots: slotRanges(c.uncoveredSlots) });
}

/** ChangeResponse: the operation, or the plan of a dry run (of a slot movement or a topology change). */
export function changeMessage(result: OperationView | PlanView | TopologyPlanView | FixPlanView | CreatePlanView): { operation?: unknown; plan?: unknown } {
  if (!('dryRun' in result)) return { operation: operationMessage(result) };
  const { dryRun: _dryRun, ...plan } = result;
  const moves = 'moves' in plan ? plan.moves.map((m) => ({ ...m, slots: slotRanges(m.slots) })) : [];
  const shards = 'shards' in plan ? plan.shards.map((s) => ({ ...s, slots: slotRanges(s.slots) })) : [];
  return { plan: withoutNulls({ ...plan, moves, shards }) };
}

/**
 * The service's reshard input from a ReshardRequest: SlotRange messages become `[start, end]` pairs
 * (an unset field is 0 in protobuf), and the cluster name is not part of the body.
 */
export function reshardInputOf(req: Record<string, unknown>): unknown {
  const { cluster: _cluster, moves, ...rest } = req;
  if (!Array.isArray(moves)) return rest;
  return {
    ...rest,
    moves: moves.map((m: { slots?: { start?: number; end?: number }[]; to?: string }) => ({
      ...m,
      slots: (m.slots ?? []).map((r) => [r.start ?? 0, r.end ?? 0]),
    })),
  };
}

/** A token for gRPC: times as RFC 3339 strings, an empty string for "never used". */
export function tokenMessage(token: TokenView): Record<string, unknown> {
  return { ...token, lastUsedAt: token.lastUsedAt ?? '' };
}
