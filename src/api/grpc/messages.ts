import type { ClusterCheck } from '../../domain/checkCluster.ts';
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
