import { webhookUrlProblem } from '../domain/webhookUrl.ts';
import type { Logger } from '../logger.ts';
import type { Database } from '../store/database.ts';
import { claimDeliveries, recordAttempt, type AttemptOutcome, type ClaimedDelivery } from '../store/webhooks.ts';
import { nextAttemptAt, type RetrySchedule } from './retrySchedule.ts';
import { webhookMessage } from './webhookMessage.ts';

/** How long a receiver may take to answer before the attempt counts as failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** A claimed delivery's lease: longer than an attempt can take, so only a dead deliverer's lease lapses. */
const LEASE_SECONDS = 60;
/** Deliveries sent at once (to different webhooks; one webhook gets one at a time, in order). */
const BATCH = 16;
/** How often an idle deliverer looks for due retries when no event woke it. */
const POLL_MS = 1_000;
/** How much of a receiver's answer the delivery log keeps. */
const RESPONSE_LIMIT = 1_000;

export interface DelivererOptions {
  readonly db: Database;
  /** This process's name in delivery leases. */
  readonly delivererId: string;
  readonly schedule: RetrySchedule;
  /** `WEBHOOK_ALLOWED_HOSTS`, checked again at each attempt; null allows any host. */
  readonly allowedHosts: readonly string[] | null;
  /** Resolves when an event was appended (a NOTIFY), after `maxWaitMs` at most, or when `signal` aborts. */
  readonly nextEvent: (maxWaitMs: number, signal: AbortSignal) => Promise<void>;
  readonly log: Logger;
  readonly now?: () => Date;
}

export interface RunningDeliverer {
  stop(): Promise<void>;
}

/**
 * Sends the webhook outbox: leases the oldest pending delivery of each webhook that is due (see
 * `claimDeliveries`), POSTs each signed per Standard Webhooks (see `webhookMessage`), and records
 * the attempt: a 2xx answer delivers it; anything else (another status, a timeout, a refused
 * connection, a redirect) schedules a retry by `schedule`, or gives it up once the retry period is
 * over, and the webhook's next event waits behind it, so each webhook receives its events in
 * order. At least once: a deliverer that dies mid-attempt leaves a lease that lapses after a
 * minute, and another process sends the delivery again under the same `webhook-id`.
 */
export function startDeliverer(opts: DelivererOptions): RunningDeliverer {
  const stopping = new AbortController();
  const now = opts.now ?? (() => new Date());
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let claimed: ClaimedDelivery[] = [];
      try {
        claimed = await claimDeliveries(opts.db, opts.delivererId, LEASE_SECONDS, BATCH);
        await Promise.all(claimed.map(async (delivery) => {
          const outcome = await attempt(delivery, opts, now);
          if (outcome.kind !== 'delivered') opts.log.warn('webhook delivery failed', { webhookId: delivery.webhookId, eventId: delivery.event.id, attempts: delivery.attempts, error: outcome.error, givenUp: outcome.kind === 'failed' });
          await recordAttempt(opts.db, delivery.id, opts.delivererId, outcome);
        }));
      } catch (err) {
        opts.log.error('webhook deliverer failed', { error: String(err) });
        claimed = [];
      }
      if (claimed.length === 0) await opts.nextEvent(POLL_MS, stopping.signal);
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}

async function attempt(delivery: ClaimedDelivery, opts: DelivererOptions, now: () => Date): Promise<AttemptOutcome> {
  const refused = webhookUrlProblem(delivery.url, opts.allowedHosts);
  if (refused) return { kind: 'failed', status: null, response: null, error: `the URL ${refused}`, nextAttemptAt: now() };
  const message = webhookMessage(delivery.secret, delivery.event, now());
  let status: number | null = null;
  let response: string | null = null;
  let error: string;
  try {
    const answer = await fetch(delivery.url, {
      method: 'POST', headers: message.headers, body: message.body, redirect: 'manual', signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    status = answer.status;
    response = (await answer.text().catch(() => '')).slice(0, RESPONSE_LIMIT);
    if (status >= 200 && status < 300) return { kind: 'delivered', status, response };
    error = `the receiver answered HTTP ${status}`;
  } catch (err) {
    error = describeFetchError(err);
  }
  const next = nextAttemptAt(opts.schedule, delivery.attempts, delivery.createdAt, now());
  return next === null
    ? { kind: 'failed', status, response, error: `${error}; given up after ${delivery.attempts} attempts`, nextAttemptAt: now() }
    : { kind: 'retry', status, response, error, nextAttemptAt: next };
}

function describeFetchError(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${DELIVERY_TIMEOUT_MS} ms`;
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return `could not connect: ${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return err instanceof Error ? err.message : String(err);
}
