import type { ClusterCheck } from './checkCluster.ts';
import type { ObservedNode } from './observedTopology.ts';
import { countSlots, formatRanges } from './slotRange.ts';

/**
 * The problems a human should know about, as short sentences: everything `checkCluster` finds
 * (unreachable, failed or disconnected nodes, open or uncovered slots, nodes that disagree), plus
 * what falls short of the desired topology (planned nodes that are not part of the cluster,
 * masters with fewer replicas than planned). An empty list means the cluster looks healthy.
 */
export function assessHealth(
  check: ClusterCheck,
  observed: readonly ObservedNode[],
  expected: { nodeCount: number; replicasPerShard: number },
): string[] {
  const problems: string[] = [
    ...check.unreachable.map((u) => `${u.address} is unreachable: ${u.reason}`),
    ...check.failedNodes.map((f) => `${f.address} is flagged ${f.flags.join(',')} by ${f.reportedBy.length} ${f.reportedBy.length === 1 ? 'node' : 'nodes'}`),
    ...check.disconnectedLinks.map((l) => `${l.from} has a disconnected link to ${l.to}`),
    ...check.openSlots.map((o) => `slot ${o.slot} is ${o.state} on ${o.address}`),
    ...(check.uncoveredSlots.length > 0
      ? [`${countSlots(check.uncoveredSlots)} slots are not served by any master (${formatRanges(check.uncoveredSlots.slice(0, 10))}${check.uncoveredSlots.length > 10 ? ',...' : ''})`]
      : []),
    ...check.disagreeingNodes.map((d) => `${d.address} ${d.reason}`),
  ];
  // Slots whose master failed (or is unreachable) and that no replica serves yet are down.
  const unreachableAddresses = new Set(check.unreachable.map((u) => u.address));
  const failedAddresses = new Set(check.failedNodes.filter((f) => f.flags.includes('fail')).map((f) => f.address));
  const down = observed.filter((m) => m.role === 'master' && m.slots.length > 0 && (failedAddresses.has(m.address) || unreachableAddresses.has(m.address) || m.flags.includes('fail')));
  for (const m of down) problems.push(`${countSlots(m.slots)} slots are down: their master ${m.address} ${m.flags.includes('fail') || failedAddresses.has(m.address) ? 'failed' : 'is unreachable'} and no replica took over`);
  const missing = expected.nodeCount - observed.length - check.unreachable.length;
  if (missing > 0) problems.push(`${missing} planned nodes are not part of the cluster`);
  for (const m of observed) {
    if (m.role !== 'master' || m.slots.length === 0) continue;
    const replicas = observed.filter((r) => r.masterId === m.id).length;
    if (replicas < expected.replicasPerShard) problems.push(`master ${m.address} has ${replicas} of ${expected.replicasPerShard} replicas`);
  }
  return problems;
}
