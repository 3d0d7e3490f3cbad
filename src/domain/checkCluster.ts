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

  const uncoveredSlots: SlotRange[] = consensus.uncovered;

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

/**
 * The slot map one view believes in: its runs of slots per owner ('' for none), and a key equal
 * exactly when two maps are equal. Built from the masters' ranges (a few per node) rather than
 * slot by slot, since the observer does this for every node of every cluster at every look;
 * `owners` (one entry per slot) is only built when asked for.
 */
function ownerMap(nodes: readonly ObservedNode[]): { readonly key: string; readonly uncovered: SlotRange[]; readonly owners: string[] } {
  const ranges = nodes.filter((n) => n.role === 'master').flatMap((n) => n.slots.map(([s, e]) => [s, e, n.id] as const)).sort((a, b) => a[0] - b[0]);
  const overlapping = ranges.some((r, i) => i > 0 && r[0] <= ranges[i - 1]![1]);
  const runs: [number, number, string][] = [];
  const push = (s: number, e: number, owner: string) => {
    const last = runs.at(-1);
    if (last && last[2] === owner && last[1] === s - 1) last[1] = e;
    else runs.push([s, e, owner]);
  };
  if (overlapping) {
    // A view that gives one slot to two masters (it cannot, but a merged fallback may): slot by slot, last one wins.
    const owners = slotOwners(nodes);
    for (let slot = 0; slot < SLOT_COUNT; slot++) push(slot, slot, owners[slot]!);
  } else {
    let next = 0;
    for (const [s, e, id] of ranges) {
      if (s > next) push(next, s - 1, '');
      push(s, e, id);
      next = e + 1;
    }
    if (next < SLOT_COUNT) push(next, SLOT_COUNT - 1, '');
  }
  let owners: string[] | undefined;
  return {
    key: runs.map(([s, e, o]) => `${s}-${e}:${o}`).join(','),
    uncovered: runs.filter((r) => r[2] === '').map(([s, e]) => [s, e] as const),
    get owners() {
      owners ??= slotOwners(nodes);
      return owners;
    },
  };
}

function slotOwners(nodes: readonly ObservedNode[]): string[] {
  const owners = new Array<string>(SLOT_COUNT).fill('');
  for (const n of nodes) {
    if (n.role !== 'master') continue;
    for (const [s, e] of n.slots) for (let slot = s; slot <= e; slot++) owners[slot] = n.id;
  }
  return owners;
}

function differingSlots(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  for (let slot = 0; slot < SLOT_COUNT; slot++) if (a[slot] !== b[slot]) n++;
  return n;
}
