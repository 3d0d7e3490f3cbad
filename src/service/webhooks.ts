import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { PageView } from '../contract/pageView.ts';
import type { CreatedWebhookView, DeliveryView, WebhookView } from '../contract/webhookView.ts';
import { DomainError, invalidInput } from '../domain/errors.ts';
import { EVENT_TYPES } from '../domain/eventTypes.ts';
import { validateClusterName } from '../domain/validateCreateCluster.ts';
import { webhookUrlProblem } from '../domain/webhookUrl.ts';
import { deleteWebhook as deleteWebhookRecord, enqueueTestDelivery, getWebhook as getWebhookRecord, insertWebhook, listDeliveries, listWebhooks as listWebhookRecords, type WebhookRecord } from '../store/webhooks.ts';
import { requireRole } from './authorize.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { DEFAULT_PAGE_SIZE, pageQuery } from './pagination.ts';
import { parseInput } from './parseInput.ts';
import { toDeliveryView, toWebhookView } from './toViews.ts';

const clusterName = z.string().superRefine((name, ctx) => {
  const problem = validateClusterName(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const createWebhookInput = z.strictObject({
  url: z.string().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters'),
  events: z.array(z.string().refine((t) => t === '*' || EVENT_TYPES.includes(t), { message: `must be "*" or one of ${EVENT_TYPES.join(', ')}` }))
    .min(1, 'must name at least one event type, or "*"').max(EVENT_TYPES.length + 1),
  clusters: z.array(clusterName).min(1, 'must name at least one cluster; leave it out for all').max(1000).nullable().optional(),
});
const listInput = z.strictObject(pageQuery);

/**
 * Subscribes a URL to events: `{url, events: ["node_failed", ...] | ["*"], clusters?: [...]}`.
 * Only `http`/`https` URLs, and only to hosts in `WEBHOOK_ALLOWED_HOSTS` when that is set. The
 * answer carries the Standard Webhooks signing secret (`whsec_` and 32 random bytes in base64)
 * once; it is stored to sign deliveries and never returned again. Admin only: a webhook sends
 * cluster data out of slotsmith.
 */
export async function createWebhook(deps: ServiceDeps, caller: Caller, input: unknown): Promise<CreatedWebhookView> {
  requireRole(caller, 'admin');
  const req = parseInput(createWebhookInput, input);
  const problem = webhookUrlProblem(req.url, deps.webhookAllowedHosts);
  if (problem) throw invalidInput([{ pointer: '/url', reason: problem }]);
  const events = req.events.includes('*') ? ['*'] : [...new Set(req.events)];
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const record = await insertWebhook(deps.db, { url: req.url, secret, eventTypes: events, clusters: req.clusters ? [...new Set(req.clusters)] : null, createdBy: caller.name });
  return { ...toWebhookView(record), secret };
}

/** The webhooks, oldest first, a page at a time. */
export async function listWebhooks(deps: ServiceDeps, caller: Caller, query: unknown): Promise<PageView<'webhooks', WebhookView>> {
  requireRole(caller, 'viewer');
  const q = parseInput(listInput, query);
  const page = await listWebhookRecords(deps.db, { pageSize: q.pageSize ?? DEFAULT_PAGE_SIZE, pageToken: q.pageToken ?? null });
  return { webhooks: page.items.map(toWebhookView), nextPageToken: page.nextPageToken };
}

/** One webhook; `404 webhook_not_found` when there is none. */
export async function getWebhook(deps: ServiceDeps, caller: Caller, id: unknown): Promise<WebhookView> {
  requireRole(caller, 'viewer');
  return toWebhookView(await findWebhook(deps, id));
}

/** Unsubscribes: the webhook and its pending deliveries are deleted at once. */
export async function deleteWebhook(deps: ServiceDeps, caller: Caller, id: unknown): Promise<void> {
  requireRole(caller, 'admin');
  if (typeof id !== 'string' || !(await deleteWebhookRecord(deps.db, id))) throw notFound(id);
}

/** A webhook's deliveries, newest first, a page at a time: attempts, the receiver's status and answer, errors. */
export async function listWebhookDeliveries(deps: ServiceDeps, caller: Caller, id: unknown, query: unknown): Promise<PageView<'deliveries', DeliveryView>> {
  requireRole(caller, 'viewer');
  const q = parseInput(listInput, query);
  const webhook = await findWebhook(deps, id);
  const page = await listDeliveries(deps.db, webhook.id, { pageSize: q.pageSize ?? DEFAULT_PAGE_SIZE, pageToken: q.pageToken ?? null });
  return { deliveries: page.items.map(toDeliveryView), nextPageToken: page.nextPageToken };
}

/**
 * Sends a `webhook_test` event to this webhook only (whatever its event filter), through the
 * outbox like any other event; the answer is the queued delivery, to follow in its deliveries.
 */
export async function testWebhook(deps: ServiceDeps, caller: Caller, id: unknown): Promise<DeliveryView> {
  requireRole(caller, 'admin');
  const webhook = await findWebhook(deps, id);
  return toDeliveryView(await enqueueTestDelivery(deps.db, webhook, caller.name));
}

async function findWebhook(deps: ServiceDeps, id: unknown): Promise<WebhookRecord> {
  const webhook = typeof id === 'string' ? await getWebhookRecord(deps.db, id) : null;
  if (!webhook) throw notFound(id);
  return webhook;
}

function notFound(id: unknown): DomainError {
  return new DomainError('not_found', 'webhook_not_found', `webhook "${String(id)}" does not exist`);
}
