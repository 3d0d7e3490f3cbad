import { checkCluster, type ClusterCheck } from './checkCluster.ts';
import type { NodeStats } from './nodeStats.ts';
import type { ObservedNode, OpenSlot } from './observedTopology.ts';
import type { NodeProblem } from './operation.ts';
import type { SlotRange } from './slotRange.ts';

/** One node of a cluster as the observer saw it: its own line and stats, and what the others say of it. */
export interface SnapshotNode {
  readonly id: string;
  /** Where slotsmith asks it: its address in the spec, else the one it announces. */
  readonly address: string;
  /** `ip:port` it announces in `CLUSTER NODES`. */
  readonly announced: string;
  /** The hostname it announces, if any. */
  readonly hostname: string | null;
  readonly role: 'master' | 'replica';
  readonly masterId: string | null;
  readonly slots: readonly SlotRange[];
  readonly migrating: readonly OpenSlot[];
  readonly importing: readonly OpenSlot[];
  readonly configEpoch: number;
  /** It answered slotsmith just now. */
  readonly reachable: boolean;
  /** The nodes (addresses) that flag it `fail?` (PFAIL: they suspect it), and `fail` (FAIL: agreed by a majority of masters). */
  readonly pfailBy: readonly string[];
  readonly failBy: readonly string[];
  /** Other flags the nodes give it (`handshake`, `noaddr`). */
  readonly flags: readonly string[];
  /** The nodes (addresses) whose cluster-bus link to it is down. */
  readonly linkDownFrom: readonly string[];
  /** What it said about itself (null when not reached). */
  readonly stats: NodeStats | null;
}

/** A cluster as the observer saw it at `observedAt`: every node, the addresses that did not answer, and the judgement of `checkCluster`. */
export interface ClusterSnapshot {
  readonly observedAt: string;
  readonly nodes: readonly SnapshotNode[];
  readonly unreachable: readonly NodeProblem[];
  readonly check: ClusterCheck;
}

/** What the observer read, in the shape `observeCluster` returns it. */
export interface ObservedInput {
  readonly nodes: readonly ObservedNode[];
  readonly reached: readonly { address: string; nodeId: string }[];
  readonly unreachable: readonly NodeProblem[];
  readonly views: readonly { address: string; nodes: readonly ObservedNode[] }[];
  readonly stats: ReadonlyMap<string, NodeStats>;
}

/**
 * Builds a snapshot from what the nodes said: each node once (its own line where it answered),
 * with the address slotsmith uses for it (`specAddressOf`, by node id, for the nodes of the spec
 * that did not answer too), the flags every other node gives it, and its stats.
 *
 * @example snapshotOf(observed, new Map([[id, 'redis-1:7000']]), new Date())
 */
export function snapshotOf(observed: ObservedInput, specAddressOf: ReadonlyMap<string, string>, observedAt: Date): ClusterSnapshot {
  const reachedAt = new Map(observed.reached.map((r) => [r.nodeId, r.address]));
  const nodes = observed.nodes
    .filter((n) => !n.flags.includes('handshake'))
    .map((n): SnapshotNode => {
      const flaggers = (flag: string) => observed.views.filter((v) => v.nodes.some((o) => o.id === n.id && !o.myself && o.flags.includes(flag))).map((v) => v.address);
      const address = reachedAt.get(n.id) ?? specAddressOf.get(n.id) ?? n.address;
      return {
        id: n.id,
        address,
        announced: n.address,
        hostname: n.hostname,
        role: n.role,
        masterId: n.masterId,
        slots: n.slots,
        migrating: n.migrating,
        importing: n.importing,
        configEpoch: n.configEpoch,
        reachable: reachedAt.has(n.id),
        pfailBy: flaggers('fail?'),
        failBy: flaggers('fail'),
        flags: n.flags.filter((f) => f !== 'fail' && f !== 'fail?'),
        linkDownFrom: observed.views.filter((v) => v.nodes.some((o) => o.id === n.id && !o.myself && o.linkState === 'disconnected')).map((v) => v.address),
        stats: observed.stats.get(address) ?? null,
      };
    });
  return {
    observedAt: observedAt.toISOString(),
    nodes,
    unreachable: observed.unreachable.map((u) => ({ address: u.address, reason: u.reason })),
    check: checkCluster(observed.nodes, observed.views, observed.unreachable),
  };
}
