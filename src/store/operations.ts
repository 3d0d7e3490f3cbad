import type { OperationError, OperationKind, OperationStatus, Progress, Step } from '../domain/operation.ts';
import type { Operation, Prisma } from '../generated/prisma/client.ts';
import type { Database } from './database.ts';
import { decodePageToken, invalidPageToken, normalisePageSize, toPage } from './pageToken.ts';
import type { ClusterPhase, OperationRecord, Page } from './records.ts';
import { storedError, storedSteps } from './storedOperation.ts';
import { appendEventsSql, eventsFromJson, eventsJson, sqlOf, type Sql } from './events.ts';
import { isUuid } from './values.ts';

// Raw statements return the columns under the Prisma field names, so one mapper serves both paths.
const OPERATION_COLUMNS = `
  id, cluster_id AS "clusterId", cluster_name AS "clusterName", kind, status, steps, progress, error,
  requested_by AS "requestedBy", locked_by AS "lockedBy", lease_expires_at AS "leaseExpiresAt", attempts,
  created_at AS "createdAt", started_at AS "startedAt", finished_at AS "finishedAt", updated_at AS "updatedAt"`;

/**
 * The claim rule, for the operation aliased `c`: no older operation of its cluster is unfinished and
 * none of it runs under a live lease. Shared by every claim, so they cannot drift apart.
 */
function noneBefore(c: string): string {
  return `NOT EXISTS (
      SELECT 1 FROM operations AS e
      WHERE e.cluster_id = ${c}.cluster_id AND e.id <> ${c}.id
        AND ((e.status IN ('queued', 'running', 'cancelling') AND (e.created_at, e.id) < (${c}.created_at, ${c}.id))
             OR (e.status IN ('running', 'cancelling') AND e.lease_expires_at > now())))`;
}

/**
 * Claims the oldest runnable operation for `workerId` and leases it for `leaseSeconds`.
 *
 * Runnable: `queued`, or `running`/`cancelling` whose lease expired (its worker died; the next
 * worker resumes from the real cluster state). Only the oldest unfinished operation of a cluster is
 * a candidate, which keeps one mutating operation per cluster at a time and runs them in order.
 *
 * One statement, as graphile-worker's getJobs: the inner SELECT ... FOR UPDATE SKIP LOCKED lets
 * concurrent workers pass over a row another worker is claiming instead of queueing behind it, and
 * a row claimed meanwhile no longer matches when re-checked under the lock, so two workers never
 * get the same operation. `attempts` counts at claim time so a crash counts too.
 */
const CLAIM_SQL = `
UPDATE operations AS o
SET status = CASE WHEN o.status = 'cancelling' THEN 'cancelling' ELSE 'running' END,
    locked_by = $1,
    lease_expires_at = now() + make_interval(secs => $2::double precision),
    attempts = o.attempts + 1,
    started_at = COALESCE(o.started_at, now()),
    updated_at = now()
WHERE o.id = (
  SELECT c.id FROM operations AS c
  WHERE (c.status = 'queued'
         OR (c.status IN ('running', 'cancelling') AND (c.lease_expires_at IS NULL OR c.lease_expires_at <= now())))
    AND ${noneBefore('c')}
  ORDER BY c.created_at, c.id
  LIMIT 1
  FOR UPDATE SKIP LOCKED
)
RETURNING ${OPERATION_COLUMNS}`;

/** Leases the next runnable operation to `workerId` (see CLAIM_SQL), or returns null when none is. */
export async function claimNextOperation(
  db: Database,
  workerId: string,
  leaseSeconds: number,
): Promise<OperationRecord | null> {
  const rows = await db.query<Operation>(CLAIM_SQL, [workerId, leaseSeconds]);
  return rows[0] ? toOperationRecord(rows[0]) : null;
}

/**
 * Claims one operation this process just queued, as `queued` is (the record its insert returned),
 * for `workerId` and leases it for `leaseSeconds`: only while it is still queued and never
 * claimed, and under the same rule as {@link claimNextOperation} (no older unfinished operation
 * of its cluster, none running there). Resolves with the record as claimed, or null (then the
 * ordinary claim takes over). Returns only the columns the claim changes: the rest is `queued`'s,
 * so the claim does not read back the steps it just wrote.
 */
export async function claimQueuedOperation(db: Database, workerId: string, leaseSeconds: number, queued: OperationRecord): Promise<OperationRecord | null> {
  const rows = await db.query<Pick<OperationRecord, 'status' | 'attempts' | 'lockedBy' | 'leaseExpiresAt' | 'startedAt' | 'updatedAt'>>(`
    UPDATE operations AS o
    SET status = 'running', locked_by = $2, lease_expires_at = now() + make_interval(secs => $3::double precision),
        attempts = o.attempts + 1, started_at = COALESCE(o.started_at, now()), updated_at = now()
    WHERE o.id = $1::uuid AND o.status = 'queued' AND o.attempts = 0 AND ${noneBefore('o')}
    RETURNING status, attempts, locked_by AS "lockedBy", lease_expires_at AS "leaseExpiresAt", started_at AS "startedAt", updated_at AS "updatedAt"`,
  [queued.id, workerId, leaseSeconds]);
  const row = rows[0];
  return row ? { ...queued, ...row, status: row.status as OperationRecord['status'] } : null;
}

/** Extends the lease of an operation `workerId` still holds; false when it lost it. */
export async function renewLease(db: Database, id: string, workerId: string, leaseSeconds: number): Promise<boolean> {
  const rows = await db.query<{ id: string }>(
    `UPDATE operations
     SET lease_expires_at = now() + make_interval(secs => $3::double precision), updated_at = now()
     WHERE id = $1 AND locked_by = $2 RETURNING id`,
    [id, workerId, leaseSeconds],
  );
  return rows.length > 0;
}

/**
 * Gives up an operation `workerId` holds without finishing it (the worker is shutting down after
 * stopping at a safe point): the lease ends now, so another worker resumes it at once instead of
 * waiting for the lease to run out.
 */
export async function releaseLease(db: Database, id: string, workerId: string): Promise<boolean> {
  const rows = await db.query<{ id: string }>(
    `UPDATE operations SET lease_expires_at = now(), locked_by = NULL, updated_at = now()
     WHERE id = $1 AND locked_by = $2 RETURNING id`,
    [id, workerId],
  );
  return rows.length > 0;
}

/** One event of a run, as {@link recordRun} appends it. */
export interface RunEvent {
  readonly type: string;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>> | null;
  /** The addresses of the nodes it concerns (the event's `nodes`); none when absent. */
  readonly nodes?: readonly string[] | null;
  /** When it happened (it may be stored a little later); the time of the write when absent. */
  readonly at?: Date;
}

/**
 * Stores what a run of an operation `workerId` holds has recorded since its last write: the steps
 * and progress (when `update` is given) and `events`, appended in order with their webhook
 * deliveries, in one statement (see `appendEventsSql`). Nothing is stored when the worker lost the operation; the
 * answer is then false. One write for many records, and plain SQL rather than Prisma (about 1 ms
 * against 4 on the embedded database), because a short operation spent most of its time on
 * these writes.
 */
export async function recordRun(
  db: Database,
  id: string,
  workerId: string,
  clusterName: string,
  update: { steps: readonly Step[]; progress: Progress } | null,
  events: readonly RunEvent[],
): Promise<boolean> {
  const append = appendEventsSql(eventsFromJson('$5', 'EXISTS (SELECT 1 FROM o)'));
  const rows = await db.query<{ owned: number }>(`
    WITH o AS (
      UPDATE operations SET steps = COALESCE($3::jsonb, steps), progress = COALESCE($4::jsonb, progress), updated_at = now()
      WHERE id = $1::uuid AND locked_by = $2
      RETURNING id
    ), ${append.ctes}
    SELECT (SELECT count(*) FROM o)::int AS owned, (SELECT count(*) FROM d)::int AS deliveries, ${append.notified}`,
  [id, workerId, update ? JSON.stringify(update.steps) : null, update ? JSON.stringify(update.progress) : null,
    eventsJson(events.map((e) => ({ ...e, operationId: id, clusterName })))]);
  return (rows[0]?.owned ?? 0) > 0;
}

/**
 * Ends an operation `workerId` holds with a terminal status and releases it; resolves with the
 * operation as stored, or null when the worker lost it (then nothing changes). In the same statement, when given: the cluster's new phase (a create
 * makes it ready or failed) and the run's last events (of cluster `clusterName`), so a watcher
 * woken by the last one reads the cluster as the operation left it.
 */
export async function finishOperation(
  db: Database,
  id: string,
  workerId: string,
  result: { status: OperationStatus; error: OperationError | null; steps: readonly Step[]; progress: Progress },
  end?: { clusterName: string; events: readonly RunEvent[]; clusterPhase: ClusterPhase | null },
): Promise<OperationRecord | null> {
  // Plain SQL: on the path of every operation's end (see recordRun).
  const append = appendEventsSql(eventsFromJson('$8', 'EXISTS (SELECT 1 FROM o)'));
  const rows = await db.query<Operation>(`
    WITH o AS (
      UPDATE operations
      SET status = $3, error = $4::jsonb, steps = $5::jsonb, progress = $6::jsonb,
          finished_at = now(), locked_by = NULL, lease_expires_at = NULL, updated_at = now()
      WHERE id = $1::uuid AND locked_by = $2
      RETURNING ${OPERATION_COLUMNS}
    ), c AS (
      UPDATE clusters SET phase = $7, updated_at = now()
      WHERE $7::text IS NOT NULL AND id = (SELECT "clusterId" FROM o)
      RETURNING id
    ), ${append.ctes}
    SELECT o.*, (SELECT count(*) FROM c)::int AS phased, (SELECT count(*) FROM d)::int AS deliveries, ${append.notified}
    FROM (SELECT 1) AS one LEFT JOIN o ON true`,
  [id, workerId, result.status, result.error === null ? null : JSON.stringify(result.error), JSON.stringify(result.steps), JSON.stringify(result.progress),
    end?.clusterPhase ?? null, eventsJson((end?.events ?? []).map((e) => ({ ...e, operationId: id, clusterName: end!.clusterName })))]);
  return rows[0]?.id ? toOperationRecord(rows[0]) : null;
}

/**
 * Asks an operation to stop: a queued one is cancelled at once, a running one becomes `cancelling`
 * (its worker sees that and stops at a safe point); a finished or already cancelling one is
 * returned unchanged. Null when there is no such operation.
 */
export async function requestCancel(db: Database, id: string): Promise<OperationRecord | null> {
  if (!isUuid(id)) return null;
  const rows = await db.query<Operation>(
    `UPDATE operations
     SET status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE 'cancelling' END,
         finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END,
         updated_at = now()
     WHERE id = $1 AND status IN ('queued', 'running')
     RETURNING ${OPERATION_COLUMNS}`,
    [id],
  );
  return rows[0] ? toOperationRecord(rows[0]) : getOperation(db, id);
}

/** The operation with this id, or null (also for an id that is not a UUID). */
export async function getOperation(db: Database, id: string): Promise<OperationRecord | null> {
  if (!isUuid(id)) return null;
  // Plain SQL: long polls read the operation again at every change of a running one.
  const rows = await db.query<Operation>(`SELECT ${OPERATION_COLUMNS} FROM operations WHERE id = $1::uuid`, [id]);
  return rows[0] ? toOperationRecord(rows[0]) : null;
}

/** Operations newest first, all or those of one cluster; throws `invalid/invalid_page_token` for a bad token. */
export async function listOperations(
  db: Database,
  opts: { clusterName?: string | undefined; pageSize: number; pageToken?: string | null | undefined },
): Promise<Page<OperationRecord>> {
  const pageSize = normalisePageSize(opts.pageSize);
  const where: Prisma.OperationWhereInput = {};
  if (opts.clusterName !== undefined) where.clusterName = opts.clusterName;
  if (opts.pageToken) {
    const cursor = decodePageToken(opts.pageToken, ['createdAt', 'id']);
    const createdAt = new Date(cursor.createdAt);
    if (Number.isNaN(createdAt.getTime()) || !isUuid(cursor.id)) throw invalidPageToken();
    where.OR = [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: cursor.id } }];
  }
  const rows = await db.prisma.operation.findMany({
    where,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: pageSize + 1,
  });
  return toPage(rows, pageSize, toOperationRecord, (r) => ({ createdAt: r.createdAt.toISOString(), id: r.id }));
}

/** Maps a Prisma `Operation` row (or a raw row with the same field names) to the store's record. */
export function toOperationRecord(row: Operation): OperationRecord {
  return {
    id: row.id,
    clusterId: row.clusterId,
    clusterName: row.clusterName,
    kind: row.kind as OperationKind,
    status: row.status as OperationStatus,
    steps: storedSteps(row.steps),
    progress: row.progress as unknown as Progress,
    error: storedError(row.error),
    requestedBy: row.requestedBy,
    lockedBy: row.lockedBy,
    leaseExpiresAt: row.leaseExpiresAt,
    attempts: row.attempts,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    updatedAt: row.updatedAt,
  };
}

/** What a new operation is made of; it starts `queued`. */
export interface QueuedOperation {
  readonly kind: OperationKind;
  readonly steps: readonly Step[];
  readonly progress: Progress;
  readonly requestedBy: string | null;
}

/** The first event of a new operation's timeline. */
export interface FirstEvent {
  readonly type: string;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** A new operation on an existing cluster, queued behind any other operation of that cluster. */
export interface NewOperation extends QueuedOperation {
  readonly clusterId: string;
  readonly clusterName: string;
  readonly event: FirstEvent;
}

/** Queues an operation together with its first event, in one statement. */
export async function insertOperation(db: Database, input: NewOperation): Promise<OperationRecord> {
  // One plain statement rather than a Prisma transaction of two: every request that changes a
  // cluster waits for it (about 2 ms against 8 on the embedded database).
  return (await queueOperation(sqlOf(db), input, null, null)).operation;
}

/** The worker an operation is inserted claimed for, and its lease in seconds (see {@link insertPlannedOperation}). */
export interface ClaimFor {
  readonly workerId: string;
  readonly leaseSeconds: number;
}

/**
 * A run a worker reserved for an operation about to be inserted already claimed for it: the
 * lease to write, and how to give the run back when the insert queued the operation instead (or
 * failed). Here, below both, because the service takes it from the worker of its process.
 */
export interface RunReservation extends ClaimFor {
  /** Gives the reservation back; does nothing once the worker started the operation or it was released. */
  release(): void;
}

/**
 * {@link insertOperation} for an operation planned from a look at the nodes that started
 * `sinceLookMs` ago, telling in the same statement whether its cluster was left alone since: no
 * other operation of it is unfinished now or finished since the look (the nodes are as the look
 * saw them, as far as slotsmith knows). The look's time is counted back from the database's own
 * clock, so a service whose clock differs from the database's judges the same.
 *
 * With `claimFor`, the operation is inserted already claimed for that worker (`running`, leased,
 * attempt 1) when no other operation of its cluster is unfinished, as {@link claimQueuedOperation}
 * would claim it, and `queued` otherwise; the caller checks `status`. Only for a database that no
 * other process writes (the embedded store): two processes inserting operations of one cluster at
 * once would each see none of the other's and both start theirs.
 */
export async function insertPlannedOperation(db: Database, input: NewOperation, sinceLookMs: number, claimFor?: ClaimFor | null): Promise<{ operation: OperationRecord; leftAlone: boolean }> {
  const { operation, othersSince } = await queueOperation(sqlOf(db), input, Math.max(0, sinceLookMs), claimFor ?? null);
  return { operation, leftAlone: othersSince === false };
}

/**
 * Creates a queued operation and its first event (with the event's webhook deliveries) in one
 * statement, with the database or inside the caller's transaction: the one way an operation comes
 * to exist.
 */
export async function createQueuedOperation(sql: Sql, input: NewOperation): Promise<OperationRecord> {
  return (await queueOperation(sql, input, null, null)).operation;
}

/**
 * See createQueuedOperation; with `sinceMs`, also whether another operation of the cluster is
 * unfinished, or finished in the last `sinceMs`; with `claim`, inserted claimed for that worker
 * while no other operation of the cluster is unfinished (see insertPlannedOperation).
 */
async function queueOperation(sql: Sql, input: NewOperation, sinceMs: number | null, claim: ClaimFor | null): Promise<{ operation: OperationRecord; othersSince: boolean | null }> {
  const append = appendEventsSql(`SELECT o.id AS operation_id, o.cluster_name, $7::text AS type, $8::text AS message, $9::jsonb AS data,
    NULL::jsonb AS nodes, now() AS at, 1 AS n FROM o`);
  // The claim's rule is claimQueuedOperation's: the newest operation of a cluster runs only when
  // none other of it is unfinished (queued, running or cancelling, leased or not).
  const rows = await sql.$queryRawUnsafe<(Operation & { othersSince: boolean | null })[]>(`
    WITH f AS (
      SELECT $11::text IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM operations AS u WHERE u.cluster_id = $1::uuid AND u.status IN ('queued', 'running', 'cancelling')) AS claimed
    ), o AS (
      INSERT INTO operations (cluster_id, cluster_name, kind, status, steps, progress, requested_by, locked_by, lease_expires_at, attempts, started_at)
      SELECT $1::uuid, $2, $3, CASE WHEN f.claimed THEN 'running' ELSE 'queued' END, $4::jsonb, $5::jsonb, $6,
        CASE WHEN f.claimed THEN $11::text END, CASE WHEN f.claimed THEN now() + make_interval(secs => $12::double precision) END,
        CASE WHEN f.claimed THEN 1 ELSE 0 END, CASE WHEN f.claimed THEN now() END
      FROM f
      RETURNING *
    ), ${append.ctes}
    SELECT ${OPERATION_COLUMNS}, (SELECT count(*) FROM d)::int AS deliveries, ${append.notified},
      CASE WHEN $10::double precision IS NULL THEN NULL ELSE EXISTS (
        SELECT 1 FROM operations AS e WHERE e.cluster_id = $1::uuid
          AND (e.status IN ('queued', 'running', 'cancelling') OR e.finished_at >= now() - make_interval(secs => $10::double precision / 1000))) END AS "othersSince"
    FROM o`,
  input.clusterId, input.clusterName, input.kind, JSON.stringify(input.steps), JSON.stringify(input.progress), input.requestedBy,
  input.event.type, input.event.message, input.event.data ? JSON.stringify(input.event.data) : null, sinceMs, claim?.workerId ?? null, claim?.leaseSeconds ?? null);
  return { operation: toOperationRecord(rows[0]!), othersSince: rows[0]!.othersSince };
}

/**
 * What the operations of a cluster did around an observation: the one queued or running now (the
 * oldest), and whether any ran since `since` (queued, running, or finished after it), so the
 * observer can tell changes slotsmith made from changes made by hand.
 */
export async function operationActivity(db: Database, clusterId: string, since: Date | null): Promise<{
  current: { id: string; kind: string; status: string } | null;
  ranSince: boolean;
}> {
  const current = await db.prisma.operation.findFirst({
    where: { clusterId, status: { in: ['queued', 'running', 'cancelling'] } },
    orderBy: { createdAt: 'asc' },
    select: { id: true, kind: true, status: true },
  });
  if (current) return { current, ranSince: true };
  if (since === null) return { current: null, ranSince: false };
  const finished = await db.prisma.operation.findFirst({ where: { clusterId, finishedAt: { gte: since } }, select: { id: true } });
  return { current: null, ranSince: finished !== null };
}
