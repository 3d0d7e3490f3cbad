import { DomainError } from '../domain/errors.ts';
import { setClusterPhase } from '../store/clusters.ts';
import type { ClusterRecord } from '../store/records.ts';
import type { ServiceDeps } from './deps.ts';

/**
 * A failed phase is not a life sentence: a cluster whose create failed (its nodes were changed,
 * so the create cannot simply be retried) is `ready` again as soon as its nodes are, by
 * design.md's readiness (every node `cluster_state:ok`, knows every other over a connected link,
 * agrees on the slot map, every replica in sync), for example once someone fixed what made the
 * create fail. The next look at the cluster decides and stores the new phase. Returns the
 * cluster as it is now, and, when it is still failed, why.
 */
export async function settlePhase(deps: ServiceDeps, cluster: ClusterRecord): Promise<{ cluster: ClusterRecord; problems: string[] }> {
  if (cluster.phase !== 'failed') return { cluster, problems: [] };
  const readiness = await deps.checkReady(cluster.spec.nodes, cluster.auth);
  if (!readiness.ready) return { cluster, problems: firstProblemPerNode(readiness.problems) };
  await setClusterPhase(deps.db, cluster.id, 'ready');
  return { cluster: { ...cluster, phase: 'ready' }, problems: [] };
}

/**
 * The cluster, ready to be changed: `409 cluster_not_ready` while it is being created, or while
 * it is failed and its nodes are not ready yet, naming the first reason of each node.
 */
export async function requireReadyPhase(deps: ServiceDeps, cluster: ClusterRecord): Promise<ClusterRecord> {
  const settled = await settlePhase(deps, cluster);
  if (settled.cluster.phase === 'ready') return settled.cluster;
  const why = settled.problems.length > 0 ? `; its nodes are not ready: ${settled.problems.slice(0, 10).join('; ')}` : '';
  throw new DomainError('precondition', 'cluster_not_ready', `cluster "${cluster.name}" is ${cluster.phase}; only a ready cluster can be changed${why}`);
}

function firstProblemPerNode(problems: readonly { address: string; reason: string }[]): string[] {
  const seen = new Set<string>();
  return problems.flatMap((p) => {
    if (seen.has(p.address)) return [];
    seen.add(p.address);
    return [`${p.address}: ${p.reason}`];
  });
}
