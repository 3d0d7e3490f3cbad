import type { ClusterCheckView } from '../contract/clusterView.ts';
import { checkCluster as judge } from '../domain/checkCluster.ts';
import { requireRole } from './authorize.ts';
import { findCluster } from './clusters.ts';
import type { Caller, ServiceDeps } from './deps.ts';

/**
 * Asks every node for its view and reports open slots, uncovered slots, nodes that disagree,
 * failed or disconnected nodes, masters without replicas and unreachable nodes. Read-only.
 */
export async function checkCluster(deps: ServiceDeps, caller: Caller, name: unknown): Promise<ClusterCheckView> {
  requireRole(caller, 'viewer');
  const cluster = await findCluster(deps, name);
  const checkedAt = deps.now().toISOString();
  const observation = await deps.observe(cluster.spec.nodes, cluster.auth);
  return { cluster: cluster.name, checkedAt, ...judge(observation.nodes, observation.views, observation.unreachable) };
}
