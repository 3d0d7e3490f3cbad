import { z } from 'zod';
import { assessHealth } from '../domain/assessHealth.ts';
import { checkCluster } from '../domain/checkCluster.ts';
import { DomainError, invalidInput } from '../domain/errors.ts';
import { planCreateCluster } from '../domain/planCreateCluster.ts';
import { planShards } from '../domain/planShards.ts';
import { validateClusterName, validateClusterTopology } from '../domain/validateCreateCluster.ts';
import { assertNoConflict, getClusterByName, insertClusterWithOperation, listClusters as listClusterRecords } from '../store/clusters.ts';
import type { ClusterRecord, NodeAuth } from '../store/records.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { DEFAULT_PAGE_SIZE, pageQuery } from './pagination.ts';
import { parseInput } from './parseInput.ts';
import { requireRole } from './authorize.ts';
import type { ClusterView } from '../contract/clusterView.ts';
import type { OperationView } from '../contract/operationView.ts';
import type { PlanView } from '../contract/planView.ts';
import type { PageView } from '../contract/pageView.ts';
import { queuedOperation, toPlanView } from './plans.ts';
import { toClusterView, toObservedView, toOperationView } from './toViews.ts';

/** The largest cluster slotsmith creates in one call; Redis itself recommends at most ~1000 nodes. */
export const MAX_NODES = 1000;

const createClusterInput = z.strictObject({
  name: z.string().max(63, 'must be at most 63 characters'),
  nodes: z.array(z.string().max(300, 'must be at most 300 characters')).min(1, 'must list at least one node').max(MAX_NODES, `must list at most ${MAX_NODES} nodes`),
  replicasPerShard: z.number().int('must be an integer').min(0, 'must be 0 or more').max(100, 'must be at most 100'),
  username: z.string().min(1).max(256).optional(),
  password: z.string().min(1).max(512).optional(),
  dryRun: z.boolean().optional(),
});

/**
 * Validates a create request, plans the shards and the steps, and stores the cluster with its
 * queued operation in one transaction. Nothing touches a node here: the worker does that.
 */
export async function createCluster(deps: ServiceDeps, caller: Caller, input: unknown): Promise<OperationView | PlanView> {
  requireRole(caller, 'operator');
  const req = parseInput(createClusterInput, input);
  const nameProblem = validateClusterName(req.name);
  const topology = validateClusterTopology({ nodes: req.nodes, replicasPerShard: req.replicasPerShard });
  const fields = [...(nameProblem ? [{ pointer: '/name', reason: nameProblem }] : []), ...(topology.ok ? [] : topology.errors)];
  if (fields.length > 0 || !topology.ok) throw invalidInput(fields);

  const shards = planShards(topology.addresses, req.replicasPerShard);
  const plan = planCreateCluster({ shards, readyTimeoutSeconds: deps.createReadyTimeoutSeconds });
  const auth: NodeAuth | null = req.password !== undefined || req.username !== undefined
    ? { ...(req.username !== undefined ? { username: req.username } : {}), ...(req.password !== undefined ? { password: req.password } : {}) }
    : null;
  const nodes = shards.flatMap((s) => [
    { address: s.master, role: 'master' as const, shardIndex: s.index },
    ...s.replicas.map((r) => ({ address: r, role: 'replica' as const, shardIndex: s.index })),
  ]);
  if (req.dryRun) {
    await assertNoConflict(deps.db, { name: req.name, nodes });
    return toPlanView(deps, { name: req.name, auth }, plan);
  }
  const { event, ...operation } = queuedOperation(plan, caller, req.name);
  const created = await insertClusterWithOperation(deps.db, {
    name: req.name,
    spec: { nodes: topology.addresses, replicasPerShard: req.replicasPerShard, shards },
    auth,
    nodes,
    operation,
    event,
  });
  deps.wakeWorker();
  return toOperationView(created.operation);
}

/** The desired spec, the status, and the topology as the nodes report it right now. */
export async function getCluster(deps: ServiceDeps, caller: Caller, name: unknown): Promise<ClusterView> {
  requireRole(caller, 'viewer');
  const cluster = await findCluster(deps, name);
  const observedAt = deps.now();
  const observation = await deps.observe(cluster.spec.nodes, cluster.auth);
  const observed = toObservedView(observedAt, observation.nodes, observation.unreachable);
  if (cluster.phase !== 'ready') return toClusterView(cluster, { phase: cluster.phase, problems: [] }, observed);
  const check = checkCluster(observation.nodes, observation.views, observation.unreachable);
  const problems = assessHealth(check, observation.nodes, {
    nodeCount: cluster.spec.nodes.length,
    replicasPerShard: cluster.spec.replicasPerShard,
  });
  return toClusterView(cluster, { phase: problems.length === 0 ? 'ready' : 'degraded', problems }, observed);
}

const listClustersInput = z.strictObject(pageQuery);

/** Clusters by name, a page at a time; the nodes are not asked (`observed` is null). */
export async function listClusters(deps: ServiceDeps, caller: Caller, query: unknown): Promise<PageView<'clusters', ClusterView>> {
  requireRole(caller, 'viewer');
  const q = parseInput(listClustersInput, query);
  const page = await listClusterRecords(deps.db, { pageSize: q.pageSize ?? DEFAULT_PAGE_SIZE, pageToken: q.pageToken ?? null });
  return {
    clusters: page.items.map((c) => toClusterView(c, { phase: c.phase, problems: [] }, null)),
    nextPageToken: page.nextPageToken,
  };
}

export async function findCluster(deps: ServiceDeps, name: unknown): Promise<ClusterRecord> {
  if (typeof name !== 'string' || name.length === 0 || name.length > 63) {
    throw invalidInput([{ pointer: '/name', reason: 'must be a cluster name' }]);
  }
  const cluster = await getClusterByName(deps.db, name);
  if (!cluster) throw new DomainError('not_found', 'cluster_not_found', `cluster "${name}" does not exist`);
  return cluster;
}
