import type { ObservedNode } from './observedTopology.ts';
import { SLOT_COUNT } from './slotRange.ts';

/**
 * Problems a human should know about, judged from what the nodes report: unreachable or failing
 * nodes, broken links, uncovered or doubly claimed slots, open slots, masters without the planned
 * number of replicas. An empty list means the cluster looks healthy.
 */
export function assessHealth(
  observed: readonly ObservedNode[],
  unreachable: readonly { address: string; reason: string }[],
  expected: { nodeCount: number; replicasPerShard: number },
): string[] {
  const problems: string[] = [];
  for (const u of unreachable) problems.push(`${u.address} is unreachable: ${u.reason}`);
  for (const n of observed) {
    const bad = n.flags.filter((f) => f === 'fail' || f === 'fail?' || f === 'pfail' || f === 'handshake' || f === 'noaddr');
    if (bad.length > 0) problems.push(`${n.address} is flagged ${bad.join(',')}`);
    if (!n.myself && n.linkState === 'disconnected' && bad.length === 0) problems.push(`${n.address} has a disconnected link`);
    for (const m of n.migrating) problems.push(`slot ${m.slot} is migrating on ${n.address}`);
    for (const i of n.importing) problems.push(`slot ${i.slot} is importing on ${n.address}`);
  }
  const owners = new Uint8Array(SLOT_COUNT);
  for (const n of observed) {
    if (n.role !== 'master') continue;
    for (const [s, e] of n.slots) for (let slot = s; slot <= e; slot++) owners[slot] = (owners[slot] ?? 0) + 1;
  }
  let uncovered = 0;
  let doubled = 0;
  for (const count of owners) {
    if (count === 0) uncovered++;
    else if (count > 1) doubled++;
  }
  if (uncovered > 0) problems.push(`${uncovered} slots are not served by any master`);
  if (doubled > 0) problems.push(`${doubled} slots are claimed by more than one master`);
  if (observed.length + unreachable.length < expected.nodeCount) {
    problems.push(`${expected.nodeCount - observed.length - unreachable.length} planned nodes are not part of the cluster`);
  }
  for (const m of observed) {
    if (m.role !== 'master' || m.slots.length === 0) continue;
    const replicas = observed.filter((r) => r.masterId === m.id).length;
    if (replicas < expected.replicasPerShard) {
      problems.push(`master ${m.address} has ${replicas} of ${expected.replicasPerShard} replicas`);
    }
  }
  return problems;
}
