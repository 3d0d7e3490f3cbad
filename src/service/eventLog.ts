import { z } from 'zod';
import type { EventView } from '../contract/operationView.ts';
import type { PageView } from '../contract/pageView.ts';
import { isTerminal } from '../domain/operation.ts';
import { latestEventId, listEvents, type EventFilter } from '../store/events.ts';
import { getOperation } from '../store/operations.ts';
import { requireRole } from './authorize.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { DEFAULT_PAGE_SIZE, pageQuery } from './pagination.ts';
import { parseInput } from './parseInput.ts';
import { toEventView } from './toViews.ts';

/** How often a stream reads the log again when no notification arrived (the fallback of LISTEN/NOTIFY). */
const STREAM_POLL_MS = 500;
const STREAM_PAGE = 200;

const eventQuery = z.strictObject({
  cluster: z.string().min(1).max(63).optional(),
  /** One type or several, comma-separated. */
  type: z.string().max(1000).regex(/^[a-z_,]+$/, 'must be event types separated by commas').optional(),
  since: z.iso.datetime({ offset: true, message: 'must be an RFC 3339 time' }).optional(),
  /** Resume after this event id (a stream's Last-Event-ID). */
  after: z.string().regex(/^\d{1,19}$/, 'must be an event id').optional(),
  ...pageQuery,
});

/** The filter of a log read or a stream, from query text (REST) or fields (gRPC). */
export interface EventLogQuery {
  readonly filter: EventFilter;
  readonly pageSize: number;
  readonly pageToken: string | null;
  /** Whether the caller named a starting point (`since`, `after`); a stream without one starts now. */
  readonly fromStart: boolean;
}

/** Parses `cluster`, `type` (comma-separated), `since`, `after`, `pageSize`, `pageToken`; field errors as everywhere. */
export function parseEventQuery(query: unknown): EventLogQuery {
  const q = parseInput(eventQuery, query);
  return {
    filter: {
      ...(q.cluster !== undefined ? { clusterName: q.cluster } : {}),
      ...(q.type !== undefined ? { types: q.type.split(',').filter(Boolean) } : {}),
      ...(q.since !== undefined ? { since: new Date(q.since) } : {}),
      ...(q.after !== undefined ? { afterId: q.after } : {}),
    },
    pageSize: q.pageSize ?? DEFAULT_PAGE_SIZE,
    pageToken: q.pageToken ?? null,
    fromStart: q.since !== undefined || q.after !== undefined,
  };
}

/**
 * The event log, oldest first, a page at a time: what operations did and what the observer saw,
 * optionally of one cluster, of some types, since a time or after an event id.
 */
export async function listEventLog(deps: ServiceDeps, caller: Caller, query: unknown): Promise<PageView<'events', EventView>> {
  requireRole(caller, 'viewer');
  const q = parseEventQuery(query);
  const page = await listEvents(deps.db, q.filter, { pageSize: q.pageSize, pageToken: q.pageToken });
  return { events: page.items.map(toEventView), nextPageToken: page.nextPageToken };
}

/**
 * Streams the event log: the events the filter selects after `filter.afterId` (or, with no
 * starting point, from now on), then each new one as it is written by any process: a NOTIFY wakes
 * the stream at once, and it reads the log again at least every 500 ms in case a notification was
 * missed. With `operationId`, the stream ends once the operation has ended and its last event was
 * sent. Ends when `signal` aborts.
 */
export async function* streamEventLog(deps: ServiceDeps, caller: Caller, query: EventLogQuery, signal: AbortSignal): AsyncGenerator<EventView> {
  requireRole(caller, 'viewer');
  let after = query.filter.afterId ?? (query.fromStart || query.filter.operationId !== undefined ? undefined : await latestEventId(deps.db));
  while (!signal.aborted) {
    // Whether the operation had ended before this read: then this read has its last events.
    const ended = query.filter.operationId !== undefined && isTerminal((await getOperation(deps.db, query.filter.operationId))?.status ?? 'succeeded');
    const page = await listEvents(deps.db, { ...query.filter, ...(after === undefined ? {} : { afterId: after }) }, { pageSize: STREAM_PAGE });
    for (const event of page.items) {
      yield toEventView(event);
      after = event.id;
    }
    if (page.items.length === STREAM_PAGE) continue;
    if (ended) return;
    await deps.nextEvent(STREAM_POLL_MS, signal);
  }
}
