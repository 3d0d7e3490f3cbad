import type { ObservedNode } from './observedTopology.ts';
import { SLOT_COUNT, type SlotRange } from './slotRange.ts';

/** What `GET /v1/clusters/{name}/check` reports; `ok` is true when every list is empty. */
export interface ClusterCheck {
  ok: boolean;
  openSlots: { slot: number; address: string; state: 'migrating' | 'importing'; peerId: string }[];
  uncoveredSlots: SlotRange[];
  /** Nodes whose view of who serves which slot differs from the majority's. */
  disagreeingNodes: { address: string; reason: string }[];
  failedNodes: { address: string; flags: string[]; reportedBy: string[] }[];
  disconnectedLinks: { from: string; to: string }[];
  mastersWithoutReplicas: { address: string; id: string }[];
  unreachable: { address: string; reason: string }[];
}

const BAD_FLAGS = ['fail', 'pfail', 'fail?', 'handshake', 'noaddr'];

/**
 * Judges a cluster from each reachable node's own view (the `views` of observeCluster) and the
 * merged node list. Pure: the caller does the asking.
 */
export function checkCluster(
  nodes: readonly ObservedNode[],
  views: readonly { address: string; nodes: readonly ObservedNode[] }[],
  unreachable: readonly { address: string; reason: string }[],
): ClusterCheck {
  const openSlots: ClusterCheck['openSlots'] = [];
  for (const n of nodes) {
    for (const m of n.migrating) openSlots.push({ slot: m.slot, address: n.address, state: 'migrating', peerId: m.nodeId });
    for (const i of n.importing) openSlots.push({ slot: i.slot, address: n.address, state: 'importing', peerId: i.nodeId });
  }
  openSlots.sort((a, b) => a.slot - b.slot || a.address.localeCompare(b.address));

  // The slot map each node believes in, as one string per node; the most common one is the consensus.
  const maps = views.map((v) => ({ address: v.address, map: ownerMap(v.nodes) }));
  const counts = new Map<string, number>();
  for (const { map } of maps) counts.set(map.key, (counts.get(map.key) ?? 0) + 1);
  const consensusKey = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const consensus = maps.find((m) => m.map.key === consensusKey)?.map ?? ownerMap(nodes);
  const disagreeingNodes = maps.filter((m) => m.map.key !== consensusKey).map((m) => ({
    address: m.address,
    reason: `disagrees about ${differingSlots(m.map.owners, consensus.owners)} slots with the majority`,
  }));

  const uncoveredSlots: SlotRange[] = [];
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    if (consensus.owners[slot] !== '') continue;
    const last = uncoveredSlots.at(-1);
    if (last && last[1] === slot - 1) uncoveredSlots[uncoveredSlots.length - 1] = [last[0], slot];
    else uncoveredSlots.push([slot, slot]);
  }

  const failed = new Map<string, { address: string; flags: Set<string>; reportedBy: Set<string> }>();
  const disconnectedLinks: ClusterCheck['disconnectedLinks'] = [];
  for (const v of views) {
    for (const n of v.nodes) {
      if (n.myself) continue;
      const bad = n.flags.filter((f) => BAD_FLAGS.includes(f));
      if (bad.length > 0) {
        const entry = failed.get(n.id) ?? { address: n.address, flags: new Set<string>(), reportedBy: new Set<string>() };
        bad.forEach((f) => entry.flags.add(f));
        entry.reportedBy.add(v.address);
        failed.set(n.id, entry);
      } else if (n.linkState === 'disconnected') {
        disconnectedLinks.push({ from: v.address, to: n.address });
      }
    }
  }
  const mastersWithoutReplicas = nodes
    .filter((m) => m.role === 'master' && m.slots.length > 0 && !nodes.some((r) => r.role === 'replica' && r.masterId === m.id))
    .map((m) => ({ address: m.address, id: m.id }));

  const report: ClusterCheck = {
    ok: false,
    openSlots,
    uncoveredSlots,
    disagreeingNodes,
    failedNodes: [...failed.values()].map((f) => ({ address: f.address, flags: [...f.flags], reportedBy: [...f.reportedBy] })),
    disconnectedLinks,
    mastersWithoutReplicas,
    unreachable: unreachable.map((u) => ({ ...u })),
  };
  report.ok = openSlots.length === 0 && uncoveredSlots.length === 0 && disagreeingNodes.length === 0
    && report.failedNodes.length === 0 && disconnectedLinks.length === 0 && unreachable.length === 0;
  return report;
}

function ownerMap(nodes: readonly ObservedNode[]): { owners: string[]; key: string } {
  const owners = new Array<string>(SLOT_COUNT).fill('');
  for (const n of nodes) {
    if (n.role !== 'master') continue;
    for (const [s, e] of n.slots) for (let slot = s; slot <= e; slot++) owners[slot] = n.id;
  }
  // Run-length key: cheap to compare, and equal exactly when the maps are equal.
  const runs: string[] = [];
  let start = 0;
  for (let slot = 1; slot <= SLOT_COUNT; slot++) {
    if (slot === SLOT_COUNT || owners[slot] !== owners[start]) {
      runs.push(`${start}-${slot - 1}:${owners[start]}`);
      start = slot;
    }
  }
  return { owners, key: runs.join(',') };
}

function differingSlots(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  for (let slot = 0; slot < SLOT_COUNT; slot++) if (a[slot] !== b[slot]) n++;
  return n;
}
