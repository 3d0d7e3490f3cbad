import type { ClusterHealth, NodeHealth } from './clusterHealth.ts';
import type { ClusterSnapshot, SnapshotNode } from './clusterSnapshot.ts';
import { countSlots, formatRanges } from './slotRange.ts';
import { rangesToSlots, slotsToRanges } from './slotSet.ts';

/** What the observer tells people and bots about, each once per transition. */
export const CLUSTER_EVENT_TYPES = [
  'node_unreachable', 'node_failed', 'node_recovered', 'failover_observed', 'master_without_replica', 'replica_lagging',
  'slots_uncovered', 'slots_covered', 'open_slots', 'cluster_state_fail', 'cluster_state_ok', 'topology_changed',
] as const;
export type ClusterEventType = (typeof CLUSTER_EVENT_TYPES)[number];

/** A change the observer saw: its type, the nodes involved, structured data and one line for a chat window. */
export interface ClusterEvent {
  readonly type: ClusterEventType;
  readonly nodes: readonly string[];
  readonly data: Readonly<Record<string, unknown>>;
  readonly summary: string;
}

/** One observation: what the nodes said and how it was judged. */
export interface Observed {
  readonly snapshot: ClusterSnapshot;
  readonly health: ClusterHealth;
}

/**
 * The events between two observations, one per transition and never one per tick: a node that
 * stays failed is reported when it fails, not at every look. Without a previous observation (the
 * first look at a cluster) the problems present now are reported once. Changes slotsmith did not
 * make (`byOperation` false: no operation of the cluster ran in between) also report a failover
 * the cluster did by itself, slots opened, and the topology changed by hand.
 */
export function clusterEvents(cluster: string, before: Observed | null, after: Observed, byOperation: boolean): ClusterEvent[] {
  const events: ClusterEvent[] = [];
  const health = (o: Observed | null, id: string): NodeHealth | undefined => o?.health.nodes.find((n) => n.id === id);
  const node = (o: Observed | null, id: string): SnapshotNode | undefined => o?.snapshot.nodes.find((n) => n.id === id);
  const add = (type: ClusterEventType, nodes: readonly string[], data: Record<string, unknown>, summary: string) =>
    events.push({ type, nodes, data, summary: `${cluster}: ${summary}` });

  for (const now of after.health.nodes) {
    const then = health(before, now.id);
    const n = node(after, now.id)!;
    if (!now.reachable && (before === null || (then?.reachable ?? true))) {
      add('node_unreachable', [now.address], { id: now.id, role: now.role }, `${now.role} ${now.address} does not answer`);
    }
    if (now.failed && !(then?.failed ?? false)) {
      add('node_failed', [now.address], { id: now.id, role: now.role, reportedBy: n.failBy },
        `${now.role} ${now.address} failed (the cluster agrees: ${n.failBy.length} ${n.failBy.length === 1 ? 'node flags' : 'nodes flag'} it FAIL)`);
    }
    if (then && (!then.reachable || then.failed) && now.reachable && !now.failed) {
      add('node_recovered', [now.address], { id: now.id, role: now.role }, `${now.role} ${now.address} is back${now.role === 'replica' ? ' (as a replica)' : ''}`);
    }
    if (now.lagging && !(then?.lagging ?? false)) {
      add('replica_lagging', [now.address], { id: now.id, lagBytes: now.lagBytes, lagSeconds: now.lagSeconds },
        `replica ${now.address} lags behind its master (${now.lagSeconds ?? '?'} s, ${now.lagBytes ?? '?'} bytes)`);
    }
  }
  // After every node's own news, so a master's failure is told before the failover that follows it.
  for (const n of after.snapshot.nodes) {
    const wasReplica = node(before, n.id)?.role === 'replica';
    if (!byOperation && wasReplica && n.role === 'master' && n.slots.length > 0) {
      const old = node(before, n.id)?.masterId ?? null;
      const oldAddress = old === null ? 'its master' : (node(after, old)?.address ?? node(before, old)?.address ?? old);
      add('failover_observed', [n.address, ...(old === null ? [] : [oldAddress])], { id: n.id, previousMaster: old },
        `replica ${n.address} took over from ${oldAddress} (${countSlots(n.slots)} slots); slotsmith did not ask for it`);
    }
  }

  const orphaned = (o: Observed) => new Set(o.snapshot.check.mastersWithoutReplicas.map((m) => m.id));
  const hadReplica = before ? orphaned(before) : new Set<string>();
  for (const m of after.snapshot.check.mastersWithoutReplicas) {
    if (before === null ? false : !hadReplica.has(m.id) && before.snapshot.nodes.some((n) => n.id === m.id)) {
      add('master_without_replica', [m.address], { id: m.id }, `master ${m.address} has no replica left: its next failure leaves its slots down`);
    }
  }

  const uncovered = (o: Observed | null) => countSlots(o?.snapshot.check.uncoveredSlots ?? []);
  if (uncovered(after) > 0 && uncovered(before) === 0) {
    add('slots_uncovered', [], { slots: after.snapshot.check.uncoveredSlots }, `${uncovered(after)} slots have no master (${formatRanges(after.snapshot.check.uncoveredSlots.slice(0, 5))}${after.snapshot.check.uncoveredSlots.length > 5 ? ',...' : ''})`);
  }
  if (before !== null && uncovered(after) === 0 && uncovered(before) > 0) add('slots_covered', [], {}, 'every slot has a master again');

  const open = (o: Observed | null) => o?.snapshot.check.openSlots.length ?? 0;
  if (!byOperation && open(after) > 0 && open(before) === 0) {
    const slots = after.snapshot.check.openSlots;
    add('open_slots', [...new Set(slots.map((o) => o.address))], { slots }, `${slots.length} slots are open (${slots.slice(0, 5).map((o) => `${o.slot} ${o.state} on ${o.address}`).join(', ')}) while no operation runs; POST /fix closes them`);
  }

  const failing = (o: Observed | null) => (o?.snapshot.nodes ?? []).filter((n) => n.stats?.clusterState === 'fail').map((n) => n.address);
  if (failing(after).length > 0 && (before === null || failing(before).length === 0)) {
    add('cluster_state_fail', failing(after), {}, `cluster_state is fail on ${failing(after).join(', ')}: they refuse commands`);
  }
  if (before !== null && failing(after).length === 0 && failing(before).length > 0 && after.snapshot.nodes.some((n) => n.stats !== null)) {
    add('cluster_state_ok', [], {}, 'cluster_state is ok on every node again');
  }

  if (!byOperation && before !== null) topologyChanges(before, after, add);
  return events;
}

type Add = (type: ClusterEventType, nodes: readonly string[], data: Record<string, unknown>, summary: string) => void;

/** Nodes that appeared or went away, and slots that changed master, while slotsmith did nothing. */
function topologyChanges(before: Observed, after: Observed, add: Add): void {
  const ids = (o: Observed) => new Set(o.snapshot.nodes.map((n) => n.id));
  const was = ids(before);
  const is = ids(after);
  for (const n of after.snapshot.nodes) {
    if (!was.has(n.id)) add('topology_changed', [n.address], { change: 'node_added', id: n.id, role: n.role }, `${n.role} ${n.address} joined the cluster; slotsmith did not add it`);
  }
  for (const n of before.snapshot.nodes) {
    if (!is.has(n.id)) add('topology_changed', [n.address], { change: 'node_forgotten', id: n.id }, `${n.address} is no longer known to the cluster; slotsmith did not remove it`);
  }
  // The usual look: the same masters serve the same ranges, so no slot moved (and no need to compare 16384 slots).
  const servedKey = (o: Observed) => o.snapshot.nodes.filter((n) => n.role === 'master').map((n) => `${n.id}:${n.slots.map(([a, z]) => `${a}-${z}`).join(',')}`).sort().join(';');
  if (servedKey(before) === servedKey(after)) return;
  const owner = (o: Observed) => {
    const map = new Map<number, string>();
    for (const n of o.snapshot.nodes) if (n.role === 'master') for (const s of rangesToSlots(n.slots)) map.set(s, n.id);
    return map;
  };
  const a = owner(before);
  const b = owner(after);
  // A replica that took over its master's slots is a failover (reported as such), not slots moved.
  const tookOver = (slot: number, id: string) => before.snapshot.nodes.find((n) => n.id === id)?.masterId === a.get(slot);
  const moved = [...b].filter(([slot, id]) => a.has(slot) && a.get(slot) !== id && !tookOver(slot, id)).map(([slot]) => slot);
  if (moved.length > 0) {
    add('topology_changed', [], { change: 'slots_moved', slots: slotsToRanges(moved) }, `${moved.length} slots changed master (${formatRanges(slotsToRanges(moved).slice(0, 5))}); slotsmith did not move them`);
  }
}
