import { WEBHOOK_TEST_EVENT } from '../domain/eventTypes.ts';
import type { Webhook, WebhookDelivery } from '../generated/prisma/client.ts';
import type { Database } from './database.ts';
import { EVENT_CHANNEL } from './events.ts';
import { decodePageToken, invalidPageToken, normalisePageSize, toPage } from './pageToken.ts';
import type { Page } from './records.ts';
import { isUuid, toJson, toNullableJson } from './values.ts';

/** A subscriber, without its secret (which only the deliverer reads, see {@link claimDeliveries}). */
export interface WebhookRecord {
  readonly id: string;
  readonly url: string;
  /** Event types it receives, or ['*']. */
  readonly eventTypes: readonly string[];
  /** Clusters it receives events of; null: all. */
  readonly clusters: readonly string[] | null;
  readonly createdBy: string | null;
  readonly createdAt: Date;
}

/** One delivery of one event to one webhook, and how it went so far. */
export interface DeliveryRecord {
  readonly id: string;
  readonly webhookId: string;
  readonly eventId: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastAttemptAt: Date | null;
  readonly lastStatus: number | null;
  readonly lastResponse: string | null;
  readonly lastError: string | null;
  readonly deliveredAt: Date | null;
  readonly createdAt: Date;
}

/** Stores a webhook with its signing secret. */
export async function insertWebhook(db: Database, input: { url: string; secret: string; eventTypes: readonly string[]; clusters: readonly string[] | null; createdBy: string }): Promise<WebhookRecord> {
  const row = await db.prisma.webhook.create({
    data: { url: input.url, secret: input.secret, eventTypes: toJson(input.eventTypes), clusters: toNullableJson(input.clusters), createdBy: input.createdBy },
  });
  return toWebhookRecord(row);
}

/** The webhook with this id, or null (also for an id that is not a UUID). */
export async function getWebhook(db: Database, id: string): Promise<WebhookRecord | null> {
  if (!isUuid(id)) return null;
  const row = await db.prisma.webhook.findUnique({ where: { id } });
  return row ? toWebhookRecord(row) : null;
}

/** Webhooks oldest first, a page at a time. */
export async function listWebhooks(db: Database, opts: { pageSize: number; pageToken?: string | null | undefined }): Promise<Page<WebhookRecord>> {
  const pageSize = normalisePageSize(opts.pageSize);
  const after = opts.pageToken ? decodePageToken(opts.pageToken, ['createdAt', 'id']) : undefined;
  const createdAt = after ? new Date(after.createdAt) : undefined;
  if (after && (Number.isNaN(createdAt!.getTime()) || !isUuid(after.id))) throw invalidPageToken();
  const rows = await db.prisma.webhook.findMany({
    ...(after ? { where: { OR: [{ createdAt: { gt: createdAt! } }, { createdAt: createdAt!, id: { gt: after.id } }] } } : {}),
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: pageSize + 1,
  });
  return toPage(rows, pageSize, toWebhookRecord, (r) => ({ createdAt: r.createdAt.toISOString(), id: r.id }));
}

/** Deletes a webhook and its deliveries; false when there was none. */
export async function deleteWebhook(db: Database, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  const { count } = await db.prisma.webhook.deleteMany({ where: { id } });
  return count > 0;
}

/** A webhook's deliveries, newest first, a page at a time. */
export async function listDeliveries(db: Database, webhookId: string, opts: { pageSize: number; pageToken?: string | null | undefined }): Promise<Page<DeliveryRecord>> {
  const pageSize = normalisePageSize(opts.pageSize);
  const before = opts.pageToken ? decodePageToken(opts.pageToken, ['id']).id : undefined;
  if (before !== undefined && !/^\d{1,19}$/.test(before)) throw invalidPageToken();
  const rows = await db.prisma.webhookDelivery.findMany({
    where: { webhookId, ...(before === undefined ? {} : { id: { lt: BigInt(before) } }) },
    orderBy: { id: 'desc' },
    take: pageSize + 1,
  });
  return toPage(rows, pageSize, toDeliveryRecord, (r) => ({ id: r.id.toString() }));
}

/** Writes a `webhook_test` event (in the log, of no cluster) and a delivery of it to this webhook only, and announces the event. */
export async function enqueueTestDelivery(db: Database, webhook: WebhookRecord, requestedBy: string): Promise<DeliveryRecord> {
  return db.prisma.$transaction(async (tx) => {
    const event = await tx.event.create({
      data: { type: WEBHOOK_TEST_EVENT, message: `test event for webhook ${webhook.id}, sent by ${requestedBy}`, data: toJson({ webhookId: webhook.id }) },
    });
    const row = await tx.webhookDelivery.create({ data: { webhookId: webhook.id, eventId: event.id, status: 'pending' } });
    await tx.$queryRawUnsafe(`SELECT pg_notify('${EVENT_CHANNEL}', $1)::text AS n`, event.id.toString());
    return toDeliveryRecord(row);
  });
}

/** A delivery leased for sending, with what it needs: the webhook's URL and secret, and the event. */
export interface ClaimedDelivery {
  readonly id: string;
  readonly webhookId: string;
  readonly url: string;
  readonly secret: string;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly event: { id: string; at: Date; type: string; message: string; clusterName: string | null; operationId: string | null; nodes: string[] | null; data: unknown };
}

/**
 * Leases deliveries to send, at most one per webhook and only the oldest pending one of each (so a
 * webhook receives its events in order, a failing one holding back the ones after it), when it is
 * due and not leased by a live deliverer. A row another deliverer leases meanwhile is skipped by
 * the conditional update, so each is sent by one deliverer at a time.
 */
export async function claimDeliveries(db: Database, owner: string, leaseSeconds: number, limit: number): Promise<ClaimedDelivery[]> {
  const rows = await db.query<{
    id: string; webhook_id: string; url: string; secret: string; attempts: number; created_at: Date;
    event_id: string; at: Date; type: string; message: string; cluster_name: string | null; operation_id: string | null; nodes: string[] | null; data: unknown;
  }>(`
    WITH heads AS (
      SELECT DISTINCT ON (webhook_id) id, next_attempt_at, locked_by, lease_expires_at
      FROM webhook_deliveries WHERE status = 'pending' ORDER BY webhook_id, id
    ), due AS (
      SELECT id FROM heads WHERE next_attempt_at <= now() AND (locked_by IS NULL OR lease_expires_at <= now())
      ORDER BY next_attempt_at LIMIT $3
    ), leased AS (
      UPDATE webhook_deliveries AS d
      SET locked_by = $1, lease_expires_at = now() + make_interval(secs => $2::double precision), attempts = d.attempts + 1
      WHERE d.id IN (SELECT id FROM due) AND d.status = 'pending'
        AND (d.locked_by IS NULL OR d.lease_expires_at <= now())
      RETURNING d.*
    )
    SELECT l.id::text, l.webhook_id, w.url, w.secret, l.attempts, l.created_at,
      e.id::text AS event_id, e.at, e.type, e.message, e.cluster_name, e.operation_id, e.nodes, e.data
    FROM leased AS l JOIN webhooks AS w ON w.id = l.webhook_id JOIN operation_events AS e ON e.id = l.event_id`, [owner, leaseSeconds, limit]);
  return rows.map((r) => ({
    id: r.id, webhookId: r.webhook_id, url: r.url, secret: r.secret, attempts: r.attempts, createdAt: new Date(r.created_at),
    event: { id: r.event_id, at: new Date(r.at), type: r.type, message: r.message, clusterName: r.cluster_name, operationId: r.operation_id, nodes: r.nodes, data: r.data },
  }));
}

/** How one attempt went: delivered, to try again at a time, or given up. */
export type AttemptOutcome =
  | { readonly kind: 'delivered'; readonly status: number; readonly response: string }
  | { readonly kind: 'retry' | 'failed'; readonly status: number | null; readonly response: string | null; readonly error: string; readonly nextAttemptAt: Date };

/** Records an attempt of a delivery `owner` leased, and releases it; false when the lease was lost meanwhile. */
export async function recordAttempt(db: Database, id: string, owner: string, outcome: AttemptOutcome): Promise<boolean> {
  const now = new Date();
  const { count } = await db.prisma.webhookDelivery.updateMany({
    where: { id: BigInt(id), lockedBy: owner },
    data: outcome.kind === 'delivered'
      ? { status: 'delivered', lastAttemptAt: now, lastStatus: outcome.status, lastResponse: outcome.response, lastError: null, deliveredAt: now, lockedBy: null, leaseExpiresAt: null }
      : { status: outcome.kind === 'failed' ? 'failed' : 'pending', lastAttemptAt: now, lastStatus: outcome.status, lastResponse: outcome.response, lastError: outcome.error, nextAttemptAt: outcome.nextAttemptAt, lockedBy: null, leaseExpiresAt: null },
  });
  return count > 0;
}

function toWebhookRecord(row: Webhook): WebhookRecord {
  return {
    id: row.id,
    url: row.url,
    eventTypes: row.eventTypes as string[],
    clusters: (row.clusters ?? null) as string[] | null,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
  };
}

function toDeliveryRecord(row: WebhookDelivery): DeliveryRecord {
  return {
    id: row.id.toString(),
    webhookId: row.webhookId,
    eventId: row.eventId.toString(),
    status: row.status as DeliveryRecord['status'],
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    lastAttemptAt: row.lastAttemptAt,
    lastStatus: row.lastStatus,
    lastResponse: row.lastResponse,
    lastError: row.lastError,
    deliveredAt: row.deliveredAt,
    createdAt: row.createdAt,
  };
}

