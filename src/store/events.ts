import type { OperationEvent } from '../generated/prisma/client.ts';
import type { Database } from './database.ts';
import { decodePageToken, invalidPageToken, normalisePageSize, toPage } from './pageToken.ts';
import type { EventRecord, Page } from './records.ts';
import { isUuid, toNullableJson } from './values.ts';

/** A notable thing that happened to an operation, for its timeline. */
export interface NewEvent {
  readonly operationId: string;
  readonly type: string;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>> | null;
}

/**
 * Appends an event to an operation's timeline.
 *
 * @example
 *   await appendEvent(db, { operationId: op.id, type: 'step_started', message: 'assigning slots' });
 */
export async function appendEvent(db: Database, event: NewEvent): Promise<EventRecord> {
  const row = await db.prisma.operationEvent.create({
    data: {
      operationId: event.operationId,
      type: event.type,
      message: event.message,
      data: toNullableJson(event.data),
    },
  });
  return toEventRecord(row);
}

/** The events of an operation, oldest first; throws `invalid/invalid_page_token` for a bad token. */
export async function listEvents(
  db: Database,
  operationId: string,
  opts: { pageSize: number; pageToken?: string | null | undefined },
): Promise<Page<EventRecord>> {
  const pageSize = normalisePageSize(opts.pageSize);
  let after: bigint | undefined;
  if (opts.pageToken) {
    const { id } = decodePageToken(opts.pageToken, ['id']);
    if (!/^\d{1,19}$/.test(id)) throw invalidPageToken();
    after = BigInt(id);
  }
  if (!isUuid(operationId)) return { items: [], nextPageToken: null };
  const rows = await db.prisma.operationEvent.findMany({
    where: { operationId, ...(after === undefined ? {} : { id: { gt: after } }) },
    orderBy: { id: 'asc' },
    take: pageSize + 1,
  });
  return toPage(rows, pageSize, toEventRecord, (r) => ({ id: r.id.toString() }));
}

function toEventRecord(row: OperationEvent): EventRecord {
  return {
    id: row.id.toString(),
    operationId: row.operationId,
    at: row.at,
    type: row.type,
    message: row.message,
    data: (row.data ?? null) as Readonly<Record<string, unknown>> | null,
  };
}
