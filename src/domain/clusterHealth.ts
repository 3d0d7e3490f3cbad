import { assessHealth } from './assessHealth.ts';
import type { ClusterSnapshot, SnapshotNode } from './clusterSnapshot.ts';
import type { DesiredTopology } from './desiredTopology.ts';

/** How far behind its master a replica may be before it counts as lagging. */
export const REPLICA_LAG_LIMITS = { seconds: 10, bytes: 64 * 1024 * 1024 } as const;

export type ConditionType = 'Ready' | 'Degraded' | 'Reconciling';

/**
 * A Kubernetes-style condition: `status` True/False/Unknown, a CamelCase `reason`, a readable
 * `message`, and when `status` last changed (RFC 3339).
 */
export interface Condition {
  readonly type: ConditionType;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

/** One node's health as the observer judged it. */
export interface NodeHealth {
  readonly id: string;
  readonly address: string;
  readonly role: 'master' | 'replica';
  readonly reachable: boolean;
  /** Flagged `fail?` (PFAIL) by at least one node, `fail` (FAIL) when the cluster agreed. */
  readonly pfail: boolean;
  readonly failed: boolean;
  readonly loading: boolean;
  /** For a replica: its link to its master (null on a master). */
  readonly replicaLink: 'up' | 'down' | null;
  /** For a replica: bytes of replication stream it has not applied yet, seconds since its master last spoke to it. */
  readonly lagBytes: number | null;
  readonly lagSeconds: number | null;
  readonly lagging: boolean;
  /** Since when it has been flagged `fail` or unreachable, for the healing policies (null while healthy). */
  readonly failingSince: string | null;
  /** Since when the cluster has agreed on `FAIL` for it (null while it is not FAIL). */
  readonly failedSince?: string | null;
}

/** The health of a cluster: its conditions, each node's health, and the problems in words. */
export interface ClusterHealth {
  readonly conditions: readonly Condition[];
  readonly nodes: readonly NodeHealth[];
  readonly problems: readonly string[];
}

export interface HealthInput {
  readonly spec: DesiredTopology;
  readonly phase: 'creating' | 'ready' | 'failed';
  readonly snapshot: ClusterSnapshot;
  /** The health derived from the previous snapshot (for transition times and failing-since). */
  readonly previous: ClusterHealth | null;
  /** The operation of the cluster that is queued or running, if any. */
  readonly operation: { readonly id: string; readonly kind: string; readonly status: string } | null;
  readonly now: Date;
}

/**
 * Judges a snapshot:
 * - Ready: every node reachable, agreeing, serving all 16384 slots with none open, every replica
 *   in sync and nothing loading (design.md's readiness), for a cluster slotsmith created or adopted;
 * - Degraded: something falls short of the desired topology or threatens it (see `assessHealth`,
 *   plus replicas that lag by more than {@link REPLICA_LAG_LIMITS});
 * - Reconciling: an operation of the cluster is queued or running.
 * Each condition keeps its `lastTransitionTime` while its status stays the same.
 */
export function deriveHealth({ spec, phase, snapshot, previous, operation, now }: HealthInput): ClusterHealth {
  const at = now.toISOString();
  const masterOffset = new Map(snapshot.nodes.filter((n) => n.role === 'master').map((n) => [n.id, n.stats?.replOffset ?? null]));
  const nodes = snapshot.nodes.map((n) => nodeHealth(n, masterOffset, previous, at));
  const observed = snapshot.nodes.map((n) => ({
    id: n.id, address: n.address, busPort: 0, hostname: null, role: n.role, masterId: n.masterId,
    flags: [...n.flags, ...(n.failBy.length > 0 ? ['fail'] : [])], myself: false, linkState: 'connected' as const,
    configEpoch: n.configEpoch, slots: n.slots, migrating: n.migrating, importing: n.importing,
  }));
  const problems = [
    ...assessHealth(snapshot.check, observed, { nodeCount: spec.nodes.length, replicasPerShard: spec.replicasPerShard }),
    ...nodes.filter((n) => n.lagging).map((n) => `replica ${n.address} lags behind its master (${n.lagSeconds ?? '?'} s, ${n.lagBytes ?? '?'} bytes)`),
    ...nodes.filter((n) => n.replicaLink === 'down' && n.reachable).map((n) => `replica ${n.address} has its link to its master down`),
    ...nodes.filter((n) => n.loading).map((n) => `${n.address} is loading its dataset`),
  ];
  const notReady = readyBlocker(phase, snapshot, nodes);
  const conditions: Condition[] = [
    condition('Ready', notReady ? 'False' : 'True', notReady?.reason ?? 'AllNodesReady', notReady?.message ?? 'every node agrees, all slots are served and every replica is in sync'),
    condition('Degraded', problems.length > 0 ? 'True' : 'False', problems.length > 0 ? degradedReason(snapshot, nodes) : 'AsDesired', problems.length > 0 ? problems.join('; ') : 'the cluster is as desired'),
    operation
      ? condition('Reconciling', 'True', operation.status === 'queued' ? 'OperationQueued' : 'OperationRunning', `${operation.kind} ${operation.id} is ${operation.status}`)
      : condition('Reconciling', 'False', 'Idle', 'no operation is queued or running'),
  ].map((c) => withTransition(c, previous, at));
  return { conditions, nodes, problems };
}

function nodeHealth(n: SnapshotNode, masterOffset: ReadonlyMap<string, number | null>, previous: ClusterHealth | null, at: string): NodeHealth {
  const stats = n.stats;
  const replicaLink = n.role === 'replica' ? (stats?.masterLinkStatus ?? null) : null;
  const ownOffset = stats?.replOffset ?? null;
  const theirs = n.masterId === null ? null : (masterOffset.get(n.masterId) ?? null);
  const lagBytes = n.role === 'replica' && ownOffset !== null && theirs !== null ? Math.max(0, theirs - ownOffset) : null;
  const lagSeconds = n.role === 'replica' && stats?.lastIoSecondsAgo !== null && stats?.lastIoSecondsAgo !== undefined && stats.lastIoSecondsAgo >= 0 ? stats.lastIoSecondsAgo : null;
  const failed = n.failBy.length > 0;
  const failing = failed || !n.reachable;
  const before = previous?.nodes.find((p) => p.id === n.id);
  return {
    id: n.id,
    address: n.address,
    role: n.role,
    reachable: n.reachable,
    pfail: n.pfailBy.length > 0,
    failed,
    loading: stats?.loading ?? false,
    replicaLink,
    lagBytes,
    lagSeconds,
    lagging: replicaLink === 'up' && ((lagSeconds ?? 0) > REPLICA_LAG_LIMITS.seconds || (lagBytes ?? 0) > REPLICA_LAG_LIMITS.bytes),
    failingSince: failing ? (before?.failingSince ?? at) : null,
    failedSince: failed ? (before?.failedSince ?? at) : null,
  };
}

function readyBlocker(phase: HealthInput['phase'], snapshot: ClusterSnapshot, nodes: readonly NodeHealth[]): { reason: string; message: string } | null {
  if (phase === 'creating') return { reason: 'Creating', message: 'the cluster is being created' };
  const c = snapshot.check;
  const first: [boolean, string, string][] = [
    [c.unreachable.length > 0 || nodes.some((n) => !n.reachable), 'NodesUnreachable', `unreachable: ${[...c.unreachable.map((u) => u.address), ...nodes.filter((n) => !n.reachable).map((n) => n.address)].join(', ')}`],
    [nodes.some((n) => n.failed), 'NodesFailed', `failed: ${nodes.filter((n) => n.failed).map((n) => n.address).join(', ')}`],
    [c.uncoveredSlots.length > 0, 'SlotsUncovered', `${c.uncoveredSlots.reduce((k, [s, e]) => k + e - s + 1, 0)} slots have no master`],
    [c.openSlots.length > 0, 'OpenSlots', `${c.openSlots.length} slots are migrating or importing`],
    [c.disagreeingNodes.length > 0, 'NodesDisagree', c.disagreeingNodes.map((d) => `${d.address} ${d.reason}`).join('; ')],
    [nodes.some((n) => n.pfail) || c.failedNodes.length > 0, 'NodesSuspected', `flagged by other nodes: ${c.failedNodes.map((f) => `${f.address} (${f.flags.join(',')})`).join(', ')}`],
    [c.disconnectedLinks.length > 0, 'LinksDisconnected', c.disconnectedLinks.map((l) => `${l.from} -> ${l.to}`).join(', ')],
    [nodes.some((n) => n.replicaLink === 'down'), 'ReplicaLinkDown', `replication down on ${nodes.filter((n) => n.replicaLink === 'down').map((n) => n.address).join(', ')}`],
    [nodes.some((n) => n.loading), 'Loading', `loading: ${nodes.filter((n) => n.loading).map((n) => n.address).join(', ')}`],
  ];
  const hit = first.find(([bad]) => bad);
  return hit ? { reason: hit[1], message: hit[2] } : null;
}

function degradedReason(snapshot: ClusterSnapshot, nodes: readonly NodeHealth[]): string {
  if (nodes.some((n) => n.failed || !n.reachable) || snapshot.unreachable.length > 0) return 'NodesDown';
  if (snapshot.check.uncoveredSlots.length > 0) return 'SlotsUncovered';
  if (snapshot.check.openSlots.length > 0) return 'OpenSlots';
  if (snapshot.check.mastersWithoutReplicas.length > 0) return 'MasterWithoutReplica';
  if (nodes.some((n) => n.lagging || n.replicaLink === 'down')) return 'ReplicaLagging';
  return 'NotAsDesired';
}

function condition(type: ConditionType, status: Condition['status'], reason: string, message: string): Condition {
  return { type, status, reason, message, lastTransitionTime: '' };
}

function withTransition(c: Condition, previous: ClusterHealth | null, at: string): Condition {
  const before = previous?.conditions.find((p) => p.type === c.type);
  return { ...c, lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : at };
}
