import type { Event as EventRow, Prisma } from '../generated/prisma/client.ts';
import type { Database } from './database.ts';
import { decodePageToken, invalidPageToken, normalisePageSize, toPage } from './pageToken.ts';
import type { EventRecord, Page } from './records.ts';
import { isUuid, toNullableJson } from './values.ts';

/** The PostgreSQL channel an appended event is announced on (its id as payload), for streams in other processes. */
export const EVENT_CHANNEL = 'slotsmith_events';

/** A notable thing that happened: in an operation's timeline (with `operationId`) or seen by the observer. */
export interface NewEvent {
  readonly operationId?: string | null;
  readonly clusterName: string;
  readonly type: string;
  /** One line for humans and chat windows. */
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>> | null;
  /** Addresses of the nodes involved. */
  readonly nodes?: readonly string[] | null;
}

/** Something that can run SQL: the database's client, or a transaction of it. */
export type Sql = Pick<Prisma.TransactionClient, '$queryRawUnsafe'>;

/**
 * Appends an event, queues its webhook deliveries (one per subscribed webhook: the durable outbox)
 * and announces it on {@link EVENT_CHANNEL}, in one statement: the event exists with all its
 * deliveries or not at all.
 *
 * @example
 *   await appendEvent(db, { operationId: op.id, clusterName: 'c1', type: 'step_started', message: 'assigning slots' });
 */
export async function appendEvent(db: Database, event: NewEvent): Promise<EventRecord> {
  return appendEventIn(db.prisma, event);
}

/** {@link appendEvent} inside a transaction (or with any client). */
export async function appendEventIn(sql: Sql, event: NewEvent): Promise<EventRecord> {
  const rows = await sql.$queryRawUnsafe<EventRow[]>(`
    WITH e AS (
      INSERT INTO operation_events (operation_id, cluster_name, type, message, data, nodes)
      VALUES ($1::uuid, $2, $3, $4, $5::jsonb, $6::jsonb)
      RETURNING *
    ), d AS (
      INSERT INTO webhook_deliveries (webhook_id, event_id, status)
      SELECT w.id, e.id, 'pending' FROM webhooks AS w, e
      WHERE (w.event_types @> '["*"]'::jsonb OR w.event_types @> to_jsonb(e.type))
        AND (w.clusters IS NULL OR w.clusters @> to_jsonb(e.cluster_name))
      RETURNING 1
    )
    SELECT e.id, e.operation_id AS "operationId", e.cluster_name AS "clusterName", e.at, e.type, e.message, e.data, e.nodes,
      (SELECT count(*) FROM d) AS deliveries,
      (SELECT count(*) FROM (SELECT pg_notify('${EVENT_CHANNEL}', e.id::text)) AS n) AS notified
    FROM e`,
  event.operationId ?? null, event.clusterName, event.type, event.message,
  event.data ? JSON.stringify(event.data) : null, event.nodes ? JSON.stringify(event.nodes) : null);
  return toEventRecord(rows[0]!);
}

/** Which events to list; all filters are optional. */
export interface EventFilter {
  readonly operationId?: string | undefined;
  readonly clusterName?: string | undefined;
  readonly types?: readonly string[] | undefined;
  /** Only events after this id (a stream's resume point). */
  readonly afterId?: string | undefined;
  /** Only events at or after this time. */
  readonly since?: Date | undefined;
}

/** Events oldest first, a page at a time; throws `invalid/invalid_page_token` for a bad token. */
export async function listEvents(db: Database, filter: EventFilter, opts: { pageSize: number; pageToken?: string | null | undefined }): Promise<Page<EventRecord>> {
  const pageSize = normalisePageSize(opts.pageSize);
  let after = filter.afterId !== undefined && /^\d{1,19}$/.test(filter.afterId) ? BigInt(filter.afterId) : undefined;
  if (opts.pageToken) {
    const { id } = decodePageToken(opts.pageToken, ['id']);
    if (!/^\d{1,19}$/.test(id)) throw invalidPageToken();
    after = BigInt(id);
  }
  if (filter.operationId !== undefined && !isUuid(filter.operationId)) return { items: [], nextPageToken: null };
  const rows = await db.prisma.event.findMany({
    where: {
      ...(filter.operationId !== undefined ? { operationId: filter.operationId } : {}),
      ...(filter.clusterName !== undefined ? { clusterName: filter.clusterName } : {}),
      ...(filter.types && filter.types.length > 0 ? { type: { in: [...filter.types] } } : {}),
      ...(after === undefined ? {} : { id: { gt: after } }),
      ...(filter.since ? { at: { gte: filter.since } } : {}),
    },
    orderBy: { id: 'asc' },
    take: pageSize + 1,
  });
  return toPage(rows, pageSize, toEventRecord, (r) => ({ id: r.id.toString() }));
}

/** The newest event id now ('0' when there is none): where a live stream starts when asked for nothing older. */
export async function latestEventId(db: Database): Promise<string> {
  const row = await db.prisma.event.findFirst({ orderBy: { id: 'desc' }, select: { id: true } });
  return row?.id.toString() ?? '0';
}

function toEventRecord(row: Pick<EventRow, 'id' | 'operationId' | 'clusterName' | 'at' | 'type' | 'message' | 'data' | 'nodes'>): EventRecord {
  return {
    id: row.id.toString(),
    operationId: row.operationId,
    clusterName: row.clusterName,
    at: new Date(row.at),
    type: row.type,
    message: row.message,
    data: (row.data ?? null) as Readonly<Record<string, unknown>> | null,
    nodes: (row.nodes ?? null) as readonly string[] | null,
  };
}

