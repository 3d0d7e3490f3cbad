import type { DesiredTopology } from './desiredTopology.ts';
import type { ObservedNode } from './observedTopology.ts';
import type { ShardPlan } from './operation.ts';

/** What an adopted cluster's records hold: its desired topology, and each node with its id. */
export interface AdoptedTopology {
  readonly spec: DesiredTopology;
  readonly nodes: readonly { address: string; role: 'master' | 'replica'; shardIndex: number; redisNodeId: string }[];
}

/**
 * The desired topology of a running cluster, exactly as its nodes report it: one shard per master
 * (ordered by first slot; masters without slots last), its replicas, the slots it serves. Nodes
 * are named by `addressOf` (the address slotsmith reaches each at), and `replicasPerShard` is the
 * fewest replicas a slot-serving master has, so adopting a cluster never calls it degraded for
 * what it already was. Handshake and `noaddr` entries are not nodes yet (or no more) and are left
 * out. Pure.
 */
export function adoptedTopology(nodes: readonly ObservedNode[], addressOf: (node: ObservedNode) => string): AdoptedTopology {
  const members = nodes.filter((n) => !n.flags.includes('handshake') && !n.flags.includes('noaddr'));
  const firstSlot = (n: ObservedNode) => n.slots[0]?.[0] ?? Number.MAX_SAFE_INTEGER;
  const masters = members.filter((n) => n.role === 'master').sort((a, b) => firstSlot(a) - firstSlot(b) || addressOf(a).localeCompare(addressOf(b)));
  const shards: ShardPlan[] = masters.map((m, index) => ({
    index,
    master: addressOf(m),
    replicas: members.filter((r) => r.role === 'replica' && r.masterId === m.id).map(addressOf).sort(),
    slots: m.slots.map((r) => [r[0], r[1]] as const),
  }));
  const shardOf = new Map(masters.map((m, i) => [m.id, i]));
  // A replica of a master no node knows has no shard: it goes with the first one, as the nodes' rows need one.
  const rows = members.map((n) => ({
    address: addressOf(n), role: n.role, shardIndex: n.role === 'master' ? shardOf.get(n.id)! : (shardOf.get(n.masterId ?? '') ?? 0), redisNodeId: n.id,
  }));
  const serving = shards.filter((s) => s.slots.length > 0);
  return {
    spec: {
      nodes: rows.map((r) => r.address),
      replicasPerShard: serving.length === 0 ? 0 : Math.min(...serving.map((s) => s.replicas.length)),
      shards,
    },
    nodes: rows,
  };
}
