import { desiredNodesOf, withNodeRemoved, withObservedRoles, withServedSlots, type ObservedRole, type ServedSlots } from '../domain/desiredTopology.ts';
import { DomainError } from '../domain/errors.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { Database } from './database.ts';
import { createQueuedOperation, type FirstEvent, type QueuedOperation } from './operations.ts';
import type { ClusterRecord, ClusterSpec, OperationRecord } from './records.ts';
import { isUniqueViolation, toJson } from './values.ts';

const UNFINISHED = ['queued', 'running', 'cancelling'];

/** A new desired topology for a cluster and the operation that makes the nodes match it. */
export interface TopologyChange {
  /** The cluster as the change was planned against: the change applies only while its spec is still this one. */
  readonly cluster: ClusterRecord;
  readonly spec: ClusterSpec;
  /** Refuse with `cluster_busy` while another operation of the cluster is queued or running. */
  readonly refuseWhileBusy: boolean;
  readonly operation: QueuedOperation;
  readonly event: FirstEvent;
}

/**
 * Stores a topology change in one transaction: the cluster's new spec, its node rows made to
 * match the spec (rows added, removed, re-roled), and the queued operation with its first event.
 *
 * Throws `precondition/cluster_busy` (with `refuseWhileBusy`) when the cluster has an unfinished
 * operation, `aborted/concurrent_change` when its spec changed since `change.cluster` was read
 * (another change won the race: plan again), and `conflict/node_in_use` when a new node's address
 * belongs to another cluster.
 */
export async function insertTopologyChange(db: Database, change: TopologyChange): Promise<OperationRecord> {
  const { cluster, spec } = change;
  try {
    return await db.prisma.$transaction(async (tx) => {
      if (change.refuseWhileBusy) await assertIdle(tx, cluster);
      const { count } = await tx.cluster.updateMany({
        where: { id: cluster.id, spec: { equals: toJson(cluster.spec) } },
        data: { spec: toJson(spec) },
      });
      if (count === 0) {
        throw new DomainError('aborted', 'concurrent_change', `cluster "${cluster.name}" changed while this request was planned; send it again`);
      }
      await syncNodeRows(tx, cluster.id, spec);
      return createQueuedOperation(tx, { ...change.operation, clusterId: cluster.id, clusterName: cluster.name, event: change.event });
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      const taken = await db.prisma.node.findMany({
        where: { address: { in: [...spec.nodes] }, clusterId: { not: cluster.id } },
        select: { address: true, cluster: { select: { name: true } } },
      });
      if (taken.length > 0) {
        const detail = taken.map((n) => `${n.address} (cluster "${n.cluster.name}")`).join(', ');
        throw new DomainError('conflict', 'node_in_use', `nodes already belong to another cluster: ${detail}`);
      }
    }
    throw err;
  }
}

/**
 * Takes `address` out of the desired topology of cluster `clusterId` (its spec and its node row),
 * as if it had never been added. Retries when another change wins the race. Returns false when
 * the address was not part of it.
 */
export async function dropNodeFromDesired(db: Database, clusterId: string, address: string): Promise<boolean> {
  return editDesired(db, clusterId, `take ${address} out of the desired topology`, async (spec) => {
    if (spec.nodes.includes(address)) return withNodeRemoved(spec, address);
    await db.prisma.node.deleteMany({ where: { clusterId, address } });
    return null;
  });
}

/**
 * Records in the desired topology of cluster `clusterId` the slots its nodes serve now (see
 * `withServedSlots`), after slots moved. Retries when another change wins the race. Returns false
 * when nothing changed. `known`: the spec as the caller read it, tried first without reading it
 * again (one statement when it still holds and the change re-roles no node).
 */
export async function recordServedSlots(db: Database, clusterId: string, served: readonly ServedSlots[], roles: readonly ObservedRole[] = [], known?: ClusterSpec): Promise<boolean> {
  return editDesired(db, clusterId, 'record the served slots in the desired topology', async (spec) => {
    const next = withObservedRoles(withServedSlots(spec, served), roles);
    return JSON.stringify(next) === JSON.stringify(spec) ? null : next;
  }, known);
}

/**
 * Applies `edit` to the cluster's spec (and its node rows) unless the spec changed meanwhile, in
 * which case it reads it again and retries. `edit` returns null for "nothing to change". With
 * `known` (the spec as the caller read it), an edit that keeps every node's role and shard is
 * first tried as one conditional update, without reading: the node rows follow the spec, so they
 * need no change then.
 */
async function editDesired(db: Database, clusterId: string, what: string, edit: (spec: ClusterSpec) => Promise<ClusterSpec | null>, known?: ClusterSpec): Promise<boolean> {
  if (known) {
    // Nothing to change in the spec as the caller read it says nothing of the stored one: read it then.
    const spec = await edit(known);
    if (spec !== null && sameNodeRows(known, spec)) {
      const updated = await db.query('UPDATE clusters SET spec = $2::jsonb, updated_at = now() WHERE id = $1::uuid AND spec = $3::jsonb RETURNING id',
        [clusterId, JSON.stringify(spec), JSON.stringify(known)]);
      if (updated.length > 0) return true;
    }
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const [row] = await db.query<{ spec: ClusterSpec; nodes: NodeRow[] }>(`
      SELECT c.spec, (SELECT coalesce(json_agg(json_build_object('id', n.id, 'address', n.address, 'role', n.role, 'shardIndex', n.shard_index)), '[]'::json)
        FROM nodes AS n WHERE n.cluster_id = c.id) AS nodes
      FROM clusters AS c WHERE c.id = $1::uuid`, [clusterId]);
    if (!row) return false;
    const spec = await edit(row.spec);
    if (spec === null) return false;
    // Most edits (the slots an operation leaves behind) change no node row: one plain statement
    // then, instead of a Prisma transaction (every slot-moving operation ends with one).
    if (isEmptyChange(nodeRowChanges(row.nodes, spec))) {
      const updated = await db.query('UPDATE clusters SET spec = $2::jsonb, updated_at = now() WHERE id = $1::uuid AND spec = $3::jsonb RETURNING id',
        [clusterId, JSON.stringify(spec), JSON.stringify(row.spec)]);
      if (updated.length > 0) return true;
      continue;
    }
    const done = await db.prisma.$transaction(async (tx) => {
      const { count } = await tx.cluster.updateMany({
        where: { id: clusterId, spec: { equals: toJson(row.spec) } },
        data: { spec: toJson(spec) },
      });
      if (count === 0) return false;
      await syncNodeRows(tx, clusterId, spec);
      return true;
    });
    if (done) return true;
  }
  throw new DomainError('aborted', 'concurrent_change', `could not ${what}: it keeps changing`);
}

/** The name of the cluster a node address belongs to, or null. */
export async function clusterOfNode(db: Database, address: string): Promise<string | null> {
  const row = await db.prisma.node.findUnique({ where: { address }, select: { cluster: { select: { name: true } } } });
  return row?.cluster.name ?? null;
}

/** Throws `precondition/cluster_busy` when the cluster has an operation that is queued or running. */
export async function assertNoUnfinishedOperation(db: Database, cluster: ClusterRecord): Promise<void> {
  await assertIdle(db.prisma, cluster);
}

async function assertIdle(client: Pick<Prisma.TransactionClient, 'operation'>, cluster: ClusterRecord): Promise<void> {
  const busy = await client.operation.findFirst({
    where: { clusterId: cluster.id, status: { in: UNFINISHED } },
    orderBy: { createdAt: 'asc' },
    select: { id: true, kind: true, status: true },
  });
  if (busy) {
    throw new DomainError('precondition', 'cluster_busy',
      `cluster "${cluster.name}" has an unfinished operation (${busy.kind} ${busy.id}, ${busy.status}); nodes are added and removed only when no other operation is queued or running`);
  }
}

/** A node row as {@link nodeRowChanges} compares it. */
interface NodeRow {
  readonly id: string;
  readonly address: string;
  readonly role: string;
  readonly shardIndex: number;
}

/** What makes a cluster's node rows match its spec's shards. */
interface NodeRowChanges {
  readonly gone: string[];
  readonly create: { address: string; role: 'master' | 'replica'; shardIndex: number }[];
  readonly update: { id: string; role: 'master' | 'replica'; shardIndex: number }[];
}

function nodeRowChanges(rows: readonly NodeRow[], spec: ClusterSpec): NodeRowChanges {
  const desired = new Map(desiredNodesOf(spec).map((n) => [n.address, n]));
  // Addresses in the spec that no shard lists (should not happen) keep whatever row they have.
  for (const address of spec.nodes) if (!desired.has(address)) desired.set(address, { address, role: 'master', shardIndex: -1 });
  const existing = new Map(rows.map((r) => [r.address, r]));
  const changes: NodeRowChanges = { gone: rows.filter((r) => !desired.has(r.address)).map((r) => r.address), create: [], update: [] };
  for (const node of desired.values()) {
    const row = existing.get(node.address);
    if (!row) changes.create.push({ address: node.address, role: node.role, shardIndex: node.shardIndex });
    else if (node.shardIndex !== -1 && (row.role !== node.role || row.shardIndex !== node.shardIndex)) changes.update.push({ id: row.id, role: node.role, shardIndex: node.shardIndex });
  }
  return changes;
}

/** Whether two specs give every node the same role and shard (and list the same nodes). */
function sameNodeRows(a: ClusterSpec, b: ClusterSpec): boolean {
  const key = (spec: ClusterSpec) => JSON.stringify([[...spec.nodes].sort(), desiredNodesOf(spec).map((n) => [n.address, n.role, n.shardIndex]).sort()]);
  return key(a) === key(b);
}

function isEmptyChange(c: NodeRowChanges): boolean {
  return c.gone.length === 0 && c.create.length === 0 && c.update.length === 0;
}

/** Makes the cluster's node rows match the spec's shards: adds, removes and re-roles rows. */
async function syncNodeRows(tx: Prisma.TransactionClient, clusterId: string, spec: ClusterSpec): Promise<void> {
  const changes = nodeRowChanges(await tx.node.findMany({ where: { clusterId } }), spec);
  if (changes.gone.length > 0) await tx.node.deleteMany({ where: { clusterId, address: { in: changes.gone } } });
  for (const node of changes.create) await tx.node.create({ data: { clusterId, ...node } });
  for (const { id, ...data } of changes.update) await tx.node.update({ where: { id }, data });
}
