import { DomainError } from '../domain/errors.ts';
import type { Cluster, Node, Prisma } from '../generated/prisma/client.ts';
import type { Database } from './database.ts';
import { NO_HEALING, type HealingPolicy } from '../domain/healingPolicy.ts';
import { appendEventIn } from './events.ts';
import { createQueuedOperation, type FirstEvent, type QueuedOperation } from './operations.ts';
import { decodePageToken, normalisePageSize, toPage } from './pageToken.ts';
import type { ClusterPhase, ClusterRecord, ClusterSpec, NodeAuth, NodeRecord, OperationRecord, Page } from './records.ts';
import { isUniqueViolation, toJson, toNullableJson } from './values.ts';

/** Everything that is created together with a new cluster. */
export interface NewCluster {
  readonly name: string;
  readonly spec: ClusterSpec;
  readonly auth: NodeAuth | null;
  readonly healing?: HealingPolicy | undefined;
  readonly nodes: readonly { address: string; role: NodeRecord['role']; shardIndex: number }[];
  readonly operation: QueuedOperation;
  readonly event: FirstEvent;
  /**
   * A cluster of the same name whose create failed before it changed any node: its records are
   * deleted in the same transaction, so the create is retried under its name. The delete happens
   * only while that cluster is still `failed` and idle.
   */
  readonly replaces?: ClusterRecord | undefined;
}

/**
 * Creates the cluster, its nodes, its queued operation and the operation's first event in one
 * transaction: either all of it exists afterwards or none of it.
 * Throws `conflict/cluster_exists` when the name is taken and `conflict/node_in_use` when a node
 * already belongs to another cluster.
 *
 * @example
 *   const { cluster, operation } = await insertClusterWithOperation(db, { name: 'c1', ... });
 */
export async function insertClusterWithOperation(
  db: Database,
  input: NewCluster,
): Promise<{ cluster: ClusterRecord; operation: OperationRecord }> {
  await assertNoConflict(db, input, input.replaces?.id);
  try {
    return await db.prisma.$transaction(async (tx) => {
      if (input.replaces) await deleteClusterRows(tx, input.replaces, { onlyIfFailed: true });
      const cluster = await tx.cluster.create({
        data: {
          name: input.name,
          spec: toJson(input.spec),
          auth: toNullableJson(input.auth),
          healing: toJson(input.healing ?? NO_HEALING),
          phase: 'creating' satisfies ClusterPhase,
          nodes: { create: input.nodes.map((n) => ({ address: n.address, role: n.role, shardIndex: n.shardIndex })) },
        },
      });
      const operation = await createQueuedOperation(tx, { ...input.operation, clusterId: cluster.id, clusterName: cluster.name, event: input.event });
      return { cluster: toClusterRecord(cluster), operation };
    });
  } catch (err) {
    // Another request won a race between the check above and the insert: report it the same way.
    if (isUniqueViolation(err)) await assertNoConflict(db, input, input.replaces?.id);
    throw err;
  }
}

/**
 * Throws the domain conflict that creating `input` would run into, if any (also what a dry run
 * checks); the records of cluster `replacing` (a failed create being retried) do not count.
 */
export async function assertNoConflict(db: Database, input: Pick<NewCluster, 'name' | 'nodes'>, replacing?: string): Promise<void> {
  const existing = await db.prisma.cluster.findUnique({ where: { name: input.name }, select: { id: true, phase: true } });
  if (existing && existing.id !== replacing) {
    throw new DomainError('conflict', 'cluster_exists', `cluster "${input.name}" already exists${existing.phase === 'failed' ? `; its create failed after changing nodes: DELETE /v1/clusters/${input.name} forgets it` : ''}`);
  }
  const used = await db.prisma.node.findMany({
    where: { address: { in: input.nodes.map((n) => n.address) }, ...(replacing ? { clusterId: { not: replacing } } : {}) },
    select: { address: true, cluster: { select: { name: true } } },
    orderBy: { address: 'asc' },
  });
  if (used.length > 0) {
    const detail = used.map((n) => `${n.address} (cluster "${n.cluster.name}")`).join(', ');
    const owners = [...new Set(used.map((n) => n.cluster.name))];
    throw new DomainError('conflict', 'node_in_use', `nodes already belong to another cluster: ${detail}; remove them from it, or forget the cluster with ${owners.map((o) => `DELETE /v1/clusters/${o}`).join(', ')}`);
  }
}

/**
 * Deletes every record slotsmith keeps of a cluster: the cluster, its desired nodes, its operations
 * and their events. Nothing on any node changes. Throws `precondition/cluster_busy` while one of its
 * operations is queued or running, and `aborted/concurrent_change` when `onlyIfFailed` and the
 * cluster is no longer `failed` (another request changed it meanwhile).
 */
export async function deleteClusterRows(tx: Prisma.TransactionClient, cluster: ClusterRecord, opts: { onlyIfFailed?: boolean } = {}): Promise<void> {
  const busy = await tx.operation.findFirst({
    where: { clusterId: cluster.id, status: { in: ['queued', 'running', 'cancelling'] } },
    select: { id: true, kind: true, status: true },
  });
  if (busy) {
    throw new DomainError('precondition', 'cluster_busy',
      `cluster "${cluster.name}" has an unfinished operation (${busy.kind} ${busy.id}, ${busy.status}); cancel it or wait until it ends`);
  }
  await tx.operation.deleteMany({ where: { clusterId: cluster.id } });
  await tx.event.deleteMany({ where: { clusterName: cluster.name, operationId: null } });
  const { count } = await tx.cluster.deleteMany({ where: { id: cluster.id, ...(opts.onlyIfFailed ? { phase: 'failed' } : {}) } });
  if (count === 0) throw new DomainError('aborted', 'concurrent_change', `cluster "${cluster.name}" changed while this request was answered; send it again`);
}

/**
 * Deletes cluster `cluster`'s records (see {@link deleteClusterRows}) and appends `event` (its
 * `cluster_released`, kept in the log after the cluster's own events are gone) in one transaction.
 */
export async function deleteCluster(db: Database, cluster: ClusterRecord, event?: { type: string; message: string; data: Record<string, unknown> }): Promise<void> {
  await db.prisma.$transaction(async (tx) => {
    await deleteClusterRows(tx, cluster);
    if (event) await appendEventIn(tx, { clusterName: cluster.name, ...event });
  });
}

/** The cluster with id `id`, or null. */
export async function getClusterById(db: Database, id: string): Promise<ClusterRecord | null> {
  // Raw SQL: the observer reads this for every cluster at every look, and Prisma's own work costs ten times the query.
  const rows = await db.query<Cluster>(
    'SELECT id, name, spec, auth, phase, healing, created_at AS "createdAt", updated_at AS "updatedAt" FROM clusters WHERE id = $1::uuid', [id]);
  return rows[0] ? toClusterRecord({ ...rows[0], createdAt: new Date(rows[0].createdAt), updatedAt: new Date(rows[0].updatedAt) }) : null;
}

/** The cluster called `name`, or null. */
export async function getClusterByName(db: Database, name: string): Promise<ClusterRecord | null> {
  // Plain SQL: every request and every operation reads its cluster (about 1 ms against 4 with Prisma on the embedded database).
  const rows = await db.query<Cluster>(`SELECT id, name, spec, auth, phase, healing, created_at AS "createdAt", updated_at AS "updatedAt" FROM clusters WHERE name = $1`, [name]);
  return rows[0] ? toClusterRecord(rows[0]) : null;
}

/** Clusters ordered by name, `pageSize` at a time; throws `invalid/invalid_page_token` for a bad token. */
export async function listClusters(
  db: Database,
  opts: { pageSize: number; pageToken?: string | null | undefined },
): Promise<Page<ClusterRecord>> {
  const pageSize = normalisePageSize(opts.pageSize);
  const after = opts.pageToken ? decodePageToken(opts.pageToken, ['name']).name : undefined;
  const rows = await db.prisma.cluster.findMany({
    ...(after === undefined ? {} : { where: { name: { gt: after } } }),
    orderBy: { name: 'asc' },
    take: pageSize + 1,
  });
  return toPage(rows, pageSize, toClusterRecord, (r) => ({ name: r.name }));
}

/** Replaces the cluster's healing policy. */
export async function setClusterHealing(db: Database, id: string, healing: HealingPolicy): Promise<ClusterRecord> {
  return toClusterRecord(await db.prisma.cluster.update({ where: { id }, data: { healing: toJson(healing) } }));
}

/** A running cluster taken under management as it is: everything slotsmith keeps of it, and its first event. */
export interface AdoptedCluster {
  readonly name: string;
  readonly spec: ClusterSpec;
  readonly auth: NodeAuth | null;
  readonly healing: HealingPolicy;
  readonly nodes: readonly { address: string; role: NodeRecord['role']; shardIndex: number; redisNodeId: string }[];
  readonly event: { readonly type: string; readonly message: string; readonly data: Record<string, unknown> };
}

/**
 * Stores an adopted cluster, `ready` at once (no operation: nothing on the nodes changes), with
 * its nodes already known by id and its `cluster_adopted` event, in one transaction. Throws as
 * {@link insertClusterWithOperation} does when the name or a node is taken.
 */
export async function insertAdoptedCluster(db: Database, input: AdoptedCluster): Promise<ClusterRecord> {
  await assertNoConflict(db, input);
  try {
    return await db.prisma.$transaction(async (tx) => {
      const row = await tx.cluster.create({
        data: {
          name: input.name,
          spec: toJson(input.spec),
          auth: toNullableJson(input.auth),
          healing: toJson(input.healing),
          phase: 'ready' satisfies ClusterPhase,
          nodes: { create: input.nodes.map((n) => ({ address: n.address, role: n.role, shardIndex: n.shardIndex, redisNodeId: n.redisNodeId })) },
        },
      });
      await appendEventIn(tx, { clusterName: input.name, type: input.event.type, message: input.event.message, data: input.event.data });
      return toClusterRecord(row);
    });
  } catch (err) {
    if (isUniqueViolation(err)) await assertNoConflict(db, input);
    throw err;
  }
}

/** Sets the phase of cluster `id` (no-op when it does not exist). */
export async function setClusterPhase(db: Database, id: string, phase: ClusterPhase): Promise<void> {
  await db.prisma.cluster.updateMany({ where: { id }, data: { phase } });
}

/** The nodes of a cluster, by shard, masters first, then address. */
export async function listNodes(db: Database, clusterId: string): Promise<NodeRecord[]> {
  const rows = await db.query<Node>(
    `SELECT cluster_id AS "clusterId", address, role, shard_index AS "shardIndex", redis_node_id AS "redisNodeId"
     FROM nodes WHERE cluster_id = $1::uuid ORDER BY shard_index, role, address`, [clusterId]);
  return rows.map(toNodeRecord);
}

/** Records the Redis node id of each node of the cluster, keyed by address; other nodes are left alone. */
export async function setRedisNodeIds(
  db: Database,
  clusterId: string,
  idsByAddress: Readonly<Record<string, string>>,
): Promise<void> {
  const entries = Object.entries(idsByAddress);
  if (entries.length === 0) return;
  await db.prisma.$transaction(
    entries.map(([address, redisNodeId]) =>
      db.prisma.node.updateMany({ where: { clusterId, address }, data: { redisNodeId } }),
    ),
  );
}

/** Maps a Prisma `Cluster` row to the store's record. */
export function toClusterRecord(row: Cluster): ClusterRecord {
  return {
    id: row.id,
    name: row.name,
    spec: row.spec as unknown as ClusterSpec,
    auth: (row.auth ?? null) as NodeAuth | null,
    phase: row.phase as ClusterPhase,
    healing: { ...NO_HEALING, ...((row.healing ?? {}) as Partial<HealingPolicy>) },
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toNodeRecord(row: Node): NodeRecord {
  return {
    clusterId: row.clusterId,
    address: row.address,
    role: row.role as NodeRecord['role'],
    shardIndex: row.shardIndex,
    redisNodeId: row.redisNodeId,
  };
}
