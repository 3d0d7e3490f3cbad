import { z } from 'zod';
import { healingInput, toHealingPolicy } from './healingInput.ts';
import type { Condition } from '../domain/clusterHealth.ts';
import { DomainError, invalidInput } from '../domain/errors.ts';
import { createChangedNothing, planCreateCluster } from '../domain/planCreateCluster.ts';
import { planShards } from '../domain/planShards.ts';
import { validateClusterName, validateClusterTopology } from '../domain/validateCreateCluster.ts';
import { assertNoConflict, getClusterByName, insertClusterWithOperation, listClusters as listClusterRecords } from '../store/clusters.ts';
import { getObservation, observationToServe } from '../store/observations.ts';
import { listOperations, operationActivity } from '../store/operations.ts';
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
import { rememberAtomicMasters, rememberNodesOf } from './earlyLook.ts';
import { atomicMastersInSnapshot } from './atomicJobsInFlight.ts';

/** The largest cluster slotsmith creates in one call; Redis itself recommends at most ~1000 nodes. */
export const MAX_NODES = 1000;

const createClusterInput = z.strictObject({
  name: z.string().max(63, 'must be at most 63 characters'),
  nodes: z.array(z.string().max(300, 'must be at most 300 characters')).min(1, 'must list at least one node').max(MAX_NODES, `must list at most ${MAX_NODES} nodes`),
  replicasPerShard: z.number().int('must be an integer').min(0, 'must be 0 or more').max(100, 'must be at most 100'),
  username: z.string().min(1).max(256).optional(),
  password: z.string().min(1).max(512).optional(),
  healing: healingInput.optional(),
  dryRun: z.boolean().optional(),
});

/**
 * Validates a create request, plans the shards and the steps, and stores the cluster with its
 * queued operation in one transaction. Nothing touches a node here: the worker does that. A
 * cluster of the same name whose create failed before it changed any node (its node check failed)
 * is replaced: the create is simply retried. Any other existing name is `409 cluster_exists`.
 */
export async function createCluster(deps: ServiceDeps, caller: Caller, input: unknown): Promise<OperationView | PlanView> {
  requireRole(caller, 'operator');
  const req = parseInput(createClusterInput, input);
  const nameProblem = validateClusterName(req.name);
  const topology = validateClusterTopology({ nodes: req.nodes, replicasPerShard: req.replicasPerShard });
  const fields = [...(nameProblem ? [{ pointer: '/name', reason: nameProblem }] : []), ...(topology.ok ? [] : topology.errors)];
  if (fields.length > 0 || !topology.ok) throw invalidInput(fields);

  const shards = planShards(topology.addresses, req.replicasPerShard);
  const auth: NodeAuth | null = req.password !== undefined || req.username !== undefined
    ? { ...(req.username !== undefined ? { username: req.username } : {}), ...(req.password !== undefined ? { password: req.password } : {}) }
    : null;
  const plan = planCreateCluster({ shards, readyTimeoutSeconds: deps.createReadyTimeoutSeconds, masterAuth: req.password !== undefined });
  const nodes = shards.flatMap((s) => [
    { address: s.master, role: 'master' as const, shardIndex: s.index },
    ...s.replicas.map((r) => ({ address: r, role: 'replica' as const, shardIndex: s.index })),
  ]);
  const replaces = await retryableCreate(deps, req.name);
  if (req.dryRun) {
    await assertNoConflict(deps.db, { name: req.name, nodes }, replaces?.id);
    return toPlanView(deps, { name: req.name, auth }, plan);
  }
  const { event, ...operation } = queuedOperation(plan, caller, req.name);
  const created = await insertClusterWithOperation(deps.db, {
    name: req.name,
    spec: { nodes: topology.addresses, replicasPerShard: req.replicasPerShard, shards },
    auth,
    healing: toHealingPolicy(req.healing),
    nodes,
    operation,
    event,
    replaces,
  });
  deps.operationQueued(created.operation);
  return toOperationView(created.operation);
}

const getClusterInput = z.strictObject({
  refresh: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).optional(),
});

/**
 * The desired spec, the status (phase, conditions, problems) and the topology as the observer last
 * saw it, with its age: reads never ask the nodes, unless the cluster was never observed, an
 * operation of it ended after its latest observation (between a run's end and the look the run
 * stores right after it), or the caller asks for `refresh`: then it is observed first (and that
 * observation stored). `Reconciling`
 * is read from the operations. What was read is answered again for a quarter of a second (see
 * `ReadCache`; a change made through this process clears it at once).
 */
export async function getCluster(deps: ServiceDeps, caller: Caller, name: unknown, query: unknown = {}): Promise<ClusterView> {
  requireRole(caller, 'viewer');
  const { refresh = false } = parseInput(getClusterInput, query);
  const now = deps.now();
  const view = refresh || typeof name !== 'string' ? await readClusterView(deps, name, refresh) : await deps.reads.cluster(name, () => readClusterView(deps, name, false));
  if (!view.observed) return view;
  // The age is the reader's, not the cache's; one view object per tenth of a second, so that
  // readers in a row get the same (immutable) object and the transport serialises it once.
  const age = ageOf(view.observed.observedAt, now);
  const aged = withAge.get(view);
  if (aged?.age === age) return aged.view;
  const fresh = { ...view, observed: { ...view.observed, ageSeconds: age } };
  withAge.set(view, { age, view: fresh });
  return fresh;
}

const withAge = new WeakMap<ClusterView, { age: number; view: ClusterView }>();

function ageOf(observedAt: string, now: Date): number {
  return Math.max(0, Math.round((now.getTime() - Date.parse(observedAt)) / 100) / 10);
}

async function readClusterView(deps: ServiceDeps, name: unknown, refresh: boolean): Promise<ClusterView> {
  let cluster = await findCluster(deps, name);
  const stored = refresh ? null : await observationToServe(deps.db, cluster.id);
  // An operation that ended after the observation changed what it shows (its run stores its own
  // look right after the end): the nodes are asked now instead.
  let observation = stored && !stored.endedSince ? stored.observation : null;
  if (observation === null) {
    await deps.observeNow(cluster);
    deps.reads.clear();
    cluster = await findCluster(deps, name);
    observation = await getObservation(deps.db, cluster.id);
  }
  if (observation === null) throw new DomainError('unavailable', 'not_observed', `cluster "${cluster.name}" could not be observed`);
  rememberAtomicMasters(deps, cluster.name, atomicMastersInSnapshot(observation.snapshot));
  const operation = (await operationActivity(deps.db, cluster.id, null)).current;
  const conditions = observation.health.conditions.map((c) => (c.type !== 'Reconciling' ? c : liveReconciling(c, operation, deps.now())));
  const problems = [...observation.health.problems];
  const phase = cluster.phase !== 'ready' ? cluster.phase : problems.length > 0 ? 'degraded' : 'ready';
  return toClusterView(cluster, { phase, problems, conditions }, toObservedView(observation.snapshot, observation.health, deps.now()));
}

/** The Reconciling condition as the operations say now (the stored one is as old as the observation). */
function liveReconciling(stored: Condition, operation: { id: string; kind: string; status: string } | null, now: Date): Condition {
  const status = operation ? 'True' : 'False';
  return {
    type: 'Reconciling',
    status,
    reason: operation ? (operation.status === 'queued' ? 'OperationQueued' : 'OperationRunning') : 'Idle',
    message: operation ? `${operation.kind} ${operation.id} is ${operation.status}` : 'no operation is queued or running',
    lastTransitionTime: stored.status === status ? stored.lastTransitionTime : now.toISOString(),
  };
}

const listClustersInput = z.strictObject(pageQuery);

/** Clusters by name, a page at a time; the nodes are not asked (`observed` is null). */
export async function listClusters(deps: ServiceDeps, caller: Caller, query: unknown): Promise<PageView<'clusters', ClusterView>> {
  requireRole(caller, 'viewer');
  const q = parseInput(listClustersInput, query);
  const page = await listClusterRecords(deps.db, { pageSize: q.pageSize ?? DEFAULT_PAGE_SIZE, pageToken: q.pageToken ?? null });
  return {
    clusters: page.items.map((c) => toClusterView(c, { phase: c.phase, problems: [], conditions: [] }, null)),
    nextPageToken: page.nextPageToken,
  };
}

/** The cluster called `name` when it exists, is `failed`, and its create changed no node; else undefined. */
async function retryableCreate(deps: ServiceDeps, name: string): Promise<ClusterRecord | undefined> {
  const existing = await getClusterByName(deps.db, name);
  if (existing?.phase !== 'failed') return undefined;
  const [newest] = (await listOperations(deps.db, { clusterName: name, pageSize: 1 })).items;
  return newest?.kind === 'create_cluster' && newest.status === 'failed' && createChangedNothing(newest.steps) ? existing : undefined;
}

export async function findCluster(deps: ServiceDeps, name: unknown): Promise<ClusterRecord> {
  if (typeof name !== 'string' || name.length === 0 || name.length > 63) {
    throw invalidInput([{ pointer: '/name', reason: 'must be a cluster name' }]);
  }
  const cluster = await getClusterByName(deps.db, name);
  if (!cluster) throw new DomainError('not_found', 'cluster_not_found', `cluster "${name}" does not exist`);
  rememberNodesOf(deps, cluster);
  return cluster;
}
