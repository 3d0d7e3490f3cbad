import type { ShardPlan } from './operation.ts';
import type { SlotRange } from './slotRange.ts';
import { normaliseRanges } from './slotSet.ts';

/**
 * The desired topology of a cluster as slotsmith stores it (the cluster's `spec`): its node
 * addresses and its shards. Topology changes edit it at request time, as the desired state.
 */
export interface DesiredTopology {
  readonly nodes: readonly string[];
  readonly replicasPerShard: number;
  readonly shards: readonly ShardPlan[];
}

/** One node of the desired topology as a node row stores it. */
export interface DesiredNode {
  readonly address: string;
  readonly role: 'master' | 'replica';
  readonly shardIndex: number;
}

/**
 * The desired topology with a node added: a master gets a new shard without slots (a rebalance
 * fills it), a replica joins the shard of `master` (an address of the desired topology).
 *
 * @example withNodeAdded(spec, { address: '10.0.0.7:7000', role: 'replica', master: '10.0.0.1:7000' })
 */
export function withNodeAdded(
  spec: DesiredTopology,
  node: { address: string; role: 'master' } | { address: string; role: 'replica'; master: string },
): DesiredTopology {
  const nodes = spec.nodes.includes(node.address) ? spec.nodes : [...spec.nodes, node.address];
  const shards = withoutNode(spec.shards, node.address);
  if (node.role === 'master' && shards.some((s) => s.master === node.address)) return { ...spec, nodes, shards };
  return {
    ...spec,
    nodes,
    shards: node.role === 'master'
      ? [...shards, { index: nextIndex(shards), master: node.address, replicas: [], slots: [] }]
      : withReplicaOf(shards, node.address, node.master),
  };
}

/**
 * The desired topology without `address`. A removed master's shard goes away; `reassigned` says
 * which master (address) each of its replicas follows from now on.
 */
export function withNodeRemoved(
  spec: DesiredTopology,
  address: string,
  reassigned: readonly { replica: string; master: string }[] = [],
): DesiredTopology {
  let shards: ShardPlan[] = withoutNode(spec.shards.filter((s) => s.master !== address), address);
  for (const { replica, master } of reassigned) shards = withReplicaOf(withoutNode(shards, replica), replica, master);
  return { ...spec, nodes: spec.nodes.filter((n) => n !== address), shards };
}

/** The desired topology with `replica` following `master` (both addresses). */
export function withReplicaMoved(spec: DesiredTopology, replica: string, master: string): DesiredTopology {
  return { ...spec, shards: withReplicaOf(withoutNode(spec.shards, replica), replica, master) };
}

/**
 * The desired topology after `replica` took over from `master`: it becomes the shard's master,
 * the old master and the other replicas its replicas; the shard keeps its index and slots.
 */
export function withFailover(spec: DesiredTopology, replica: string, master: string): DesiredTopology {
  const shard = spec.shards.find((s) => s.master === master);
  if (shard === undefined) return spec;
  const others = withoutNode(spec.shards, replica);
  return {
    ...spec,
    shards: others.map((s) => (s.index === shard.index
      ? { ...s, master: replica, replicas: [master, ...s.replicas.filter((r) => r !== master)] }
      : s)),
  };
}

/** The slots a node serves, as the nodes report it. */
export interface ServedSlots {
  readonly address: string;
  readonly slots: readonly SlotRange[];
}

/**
 * The desired topology with each shard's slots set to what its nodes serve now (after slots have
 * moved): the ranges served by any member of the shard (its master, or a replica that took over).
 * A shard none of whose members is in `served` (unreachable, say) keeps the slots it had.
 *
 * @example withServedSlots(spec, [{ address: 'a:1', slots: [[0, 99]] }]) // shard of a:1 now [[0, 99]]
 */
export function withServedSlots(spec: DesiredTopology, served: readonly ServedSlots[]): DesiredTopology {
  const byAddress = new Map(served.map((s) => [s.address, s.slots]));
  return {
    ...spec,
    shards: spec.shards.map((shard) => {
      const members = [shard.master, ...shard.replicas].filter((a) => byAddress.has(a));
      if (members.length === 0) return shard;
      return { ...shard, slots: normaliseRanges(members.flatMap((a) => byAddress.get(a) ?? [])) };
    }),
  };
}

/** A node's role as the node itself reports it; `master` is its master's address in the spec (null when not in it). */
export interface ObservedRole {
  readonly address: string;
  readonly role: 'master' | 'replica';
  readonly master: string | null;
}

/**
 * The desired topology with its roles set to what the nodes report, so the spec never says what
 * the nodes contradict (a master Redis turned into a replica, a replica that took over): a shard
 * whose master reports itself a replica while one of its replicas reports itself a master gets
 * that replica as master (a failover); a node that reports itself a replica of a master of the
 * spec is in that master's shard (a shard whose master became a replica elsewhere, and has no
 * slots left, goes away); a replica of the spec that reports itself a master without taking over
 * gets a shard of its own. Nodes that did not report keep their place. Slots are left as they are
 * (see {@link withServedSlots}).
 *
 * @example withObservedRoles(spec, [{ address: 'c:1', role: 'replica', master: 'a:1' }]) // c:1 now in a:1's shard
 */
export function withObservedRoles(spec: DesiredTopology, observed: readonly ObservedRole[]): DesiredTopology {
  const seen = new Map(observed.map((o) => [o.address, o]));
  let shards: ShardPlan[] = spec.shards.map((shard) => {
    if (seen.get(shard.master)?.role !== 'replica' && seen.has(shard.master)) return shard;
    const promoted = shard.replicas.find((r) => seen.get(r)?.role === 'master');
    if (promoted === undefined) return shard;
    return { ...shard, master: promoted, replicas: [shard.master, ...shard.replicas.filter((r) => r !== promoted)] };
  });
  for (const o of observed) {
    if (o.role !== 'replica' || o.master === null || !shards.some((s) => s.master === o.master)) continue;
    const own = shards.find((s) => s.master === o.address);
    if (own) {
      // A master that became a replica elsewhere: its shard goes when nothing is left in it.
      shards = shards.filter((s) => s !== own || own.slots.length > 0);
      if (shards.includes(own)) continue;
      shards = own.replicas.reduce((acc, r) => (seen.has(r) ? acc : withReplicaOf(withoutNode(acc, r), r, o.master!)), shards);
    }
    shards = withReplicaOf(withoutNode(shards, o.address), o.address, o.master);
  }
  for (const o of observed) {
    if (o.role === 'master' && !shards.some((s) => s.master === o.address) && spec.nodes.includes(o.address)) {
      shards = [...withoutNode(shards, o.address), { index: nextIndex(shards), master: o.address, replicas: [], slots: [] }];
    }
  }
  return { ...spec, shards };
}

/** The node rows that describe a desired topology: each shard's master and replicas. */
export function desiredNodesOf(spec: DesiredTopology): DesiredNode[] {
  return spec.shards.flatMap((s) => [
    { address: s.master, role: 'master' as const, shardIndex: s.index },
    ...s.replicas.map((r) => ({ address: r, role: 'replica' as const, shardIndex: s.index })),
  ]);
}

/** Shards with `address` taken out of every replica list (a master keeps its shard). */
function withoutNode(shards: readonly ShardPlan[], address: string): ShardPlan[] {
  return shards.map((s) => (s.replicas.includes(address) ? { ...s, replicas: s.replicas.filter((r) => r !== address) } : s));
}

/** Shards with `replica` added to the shard of `master`; a master with no shard of its own gets one. */
function withReplicaOf(shards: readonly ShardPlan[], replica: string, master: string): ShardPlan[] {
  if (!shards.some((s) => s.master === master)) {
    return [...shards, { index: nextIndex(shards), master, replicas: [replica], slots: [] }];
  }
  return shards.map((s) => (s.master === master ? { ...s, replicas: [...s.replicas, replica] } : s));
}

function nextIndex(shards: readonly ShardPlan[]): number {
  return shards.reduce((max, s) => Math.max(max, s.index), -1) + 1;
}
