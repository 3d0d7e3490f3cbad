import type { ClusterHealth } from './clusterHealth.ts';
import type { ClusterSnapshot, SnapshotNode } from './clusterSnapshot.ts';
import type { HealingPolicy } from './healingPolicy.ts';
import { parseNodeAddress } from './nodeAddress.ts';

/** One repair the policy asks for now; `reason` is one line for the operation's first event. */
export type HealingAction =
  | { readonly kind: 'failover'; readonly replica: string; readonly master: string; readonly mode: 'force' | 'takeover'; readonly reason: string }
  | { readonly kind: 'forget'; readonly node: string; readonly reason: string }
  | { readonly kind: 'replica_migration'; readonly replica: string; readonly master: string; readonly reason: string };

/**
 * The one repair a cluster needs first under `policy`, judged from the latest observation, or
 * null: a stuck failover (slots are down) before forgetting a dead node before moving a replica.
 * Pure; times in `health` are RFC 3339, `afterSeconds`/`forgetAfterSeconds` are measured from
 * when the cluster agreed on `FAIL` (`failedSince`).
 */
export function decideHealing(policy: HealingPolicy, snapshot: ClusterSnapshot, health: ClusterHealth, now: Date): HealingAction | null {
  const healthOf = new Map(health.nodes.map((n) => [n.id, n]));
  const failedFor = (n: SnapshotNode): number => {
    const since = healthOf.get(n.id)?.failedSince;
    return since ? (now.getTime() - Date.parse(since)) / 1000 : -1;
  };
  const healthy = (n: SnapshotNode) => n.reachable && n.failBy.length === 0;
  const replicasOf = (master: SnapshotNode) => snapshot.nodes.filter((r) => r.role === 'replica' && r.masterId === master.id);

  if (policy.failover) {
    for (const master of snapshot.nodes) {
      if (master.role !== 'master' || master.slots.length === 0 || master.failBy.length === 0) continue;
      const waited = failedFor(master);
      if (waited < policy.failover.afterSeconds) continue;
      const candidates = replicasOf(master).filter(healthy)
        .sort((a, b) => (b.stats?.replOffset ?? -1) - (a.stats?.replOffset ?? -1) || a.address.localeCompare(b.address));
      const heir = candidates[0];
      if (!heir) continue;
      const mode = policy.failover.takeover ? 'takeover' : 'force';
      return {
        kind: 'failover', replica: heir.address, master: master.address, mode,
        reason: `master ${master.address} has been FAIL for ${Math.floor(waited)} s and no replica took over; ${mode} failover to ${heir.address}, the most up-to-date replica (offset ${heir.stats?.replOffset ?? '?'})`,
      };
    }
  }

  if (policy.forgetAfterSeconds !== null) {
    const dead = snapshot.nodes
      .filter((n) => !n.reachable && n.failBy.length > 0 && n.slots.length === 0 && failedFor(n) >= policy.forgetAfterSeconds!)
      .sort((a, b) => failedFor(b) - failedFor(a));
    const node = dead[0];
    if (node) return { kind: 'forget', node: node.id, reason: `${node.address} has been FAIL for ${Math.floor(failedFor(node))} s (forgetAfterSeconds ${policy.forgetAfterSeconds}); every node forgets it` };
  }

  if (policy.replicaMigration) {
    const serving = snapshot.nodes.filter((n) => n.role === 'master' && n.slots.length > 0 && healthy(n));
    // Orphaned once the cluster agrees its replicas are dead (FAIL), not at the first missed look.
    const orphan = serving.find((m) => !replicasOf(m).some((r) => r.failBy.length === 0));
    if (orphan) {
      const donors = serving
        .map((m) => ({ master: m, replicas: replicasOf(m).filter(healthy) }))
        .filter((d) => d.replicas.length >= 2)
        .sort((a, b) => b.replicas.length - a.replicas.length || a.master.address.localeCompare(b.master.address));
      const donor = donors[0];
      if (donor) {
        const orphanHost = hostOf(orphan);
        // Anti-affinity: a replica on the orphan's own host would fail with it.
        const replica = [...donor.replicas].sort((a, b) => Number(hostOf(a) === orphanHost) - Number(hostOf(b) === orphanHost) || a.address.localeCompare(b.address))[0]!;
        return {
          kind: 'replica_migration', replica: replica.address, master: orphan.address,
          reason: `master ${orphan.address} has no working replica; ${replica.address} moves to it from ${donor.master.address}, which has ${donor.replicas.length}`,
        };
      }
    }
  }
  return null;
}

function hostOf(n: SnapshotNode): string {
  if (n.hostname) return n.hostname;
  const parsed = parseNodeAddress(n.address, 'announced');
  return parsed.ok ? parsed.host : n.address;
}
