import { z } from 'zod';
import { DomainError } from '../domain/errors.ts';
import { isTerminal } from '../domain/operation.ts';
import { listEvents } from '../store/events.ts';
import { getOperation as getOperationRecord, listOperations as listOperationRecords, requestCancel } from '../store/operations.ts';
import type { OperationRecord } from '../store/records.ts';
import { requireRole } from './authorize.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { UNFINISHED } from './operationChanges.ts';
import { DEFAULT_PAGE_SIZE, pageQuery } from './pagination.ts';
import { parseInput } from './parseInput.ts';
import type { EventView, OperationView } from '../contract/operationView.ts';
import type { PageView } from '../contract/pageView.ts';
import { toEventView, toOperationView } from './toViews.ts';

/** The longest a caller may ask {@link getOperation} to wait for an operation to end. */
export const MAX_WAIT_SECONDS = 60;
/** How often a waiter reads the operation again when no change is announced in this process. */
const WAIT_READ_INTERVAL_MS = 250;

const getOperationInput = z.strictObject({
  waitSeconds: z.coerce.number().int().min(0).max(MAX_WAIT_SECONDS, `must be at most ${MAX_WAIT_SECONDS}`).optional(),
});

/**
 * One operation. With `waitSeconds`, answers as soon as the operation has ended, or after that
 * many seconds with its state then (a long poll: one request instead of many for automation that
 * waits for the end). `signal` (the caller went away) ends the wait early.
 */
export async function getOperation(deps: ServiceDeps, caller: Caller, id: unknown, query: unknown = {}, signal?: AbortSignal): Promise<OperationView> {
  requireRole(caller, 'viewer');
  const { waitSeconds = 0 } = parseInput(getOperationInput, query);
  let op = typeof id === 'string' ? await deps.reads.operation(id, () => findOperation(deps, id)) : await findOperation(deps, id);
  const deadline = Date.now() + waitSeconds * 1000;
  while (!isTerminal(op.status) && !signal?.aborted && Date.now() < deadline) {
    // A claim and an end are announced with the operation as stored, progress as unfinished: the
    // wait for the end reads the operation only when another process may have changed it.
    const stored = await deps.nextChange(op.id, Math.min(WAIT_READ_INTERVAL_MS, deadline - Date.now()), signal);
    if (stored === UNFINISHED) continue;
    op = stored ?? (await getOperationRecord(deps.db, op.id)) ?? op;
  }
  // One view per record: a cached record read by many callers is turned into a view (and sent) once.
  let view = views.get(op);
  if (!view) {
    view = toOperationView(op);
    views.set(op, view);
  }
  return view;
}

const views = new WeakMap<OperationRecord, OperationView>();

/**
 * Asks a queued or running operation to stop. A queued one is cancelled at once; a running one
 * becomes `cancelling` and its worker stops at the next safe point (never leaving a slot open),
 * runs its cleanup steps and ends `cancelled`. Cancelling a cancelled operation changes nothing;
 * a finished one cannot be cancelled.
 */
export async function cancelOperation(deps: ServiceDeps, caller: Caller, id: unknown): Promise<OperationView> {
  requireRole(caller, 'operator');
  const op = await findOperation(deps, id);
  if (op.status === 'cancelled' || op.status === 'cancelling') return toOperationView(op);
  if (op.status === 'succeeded' || op.status === 'failed') {
    throw new DomainError('precondition', 'operation_finished', `operation ${op.id} already ${op.status}; there is nothing to cancel`);
  }
  const updated = (await requestCancel(deps.db, op.id)) ?? (await findOperation(deps, op.id));
  deps.reads.clear();
  deps.notifyCancel(op.id);
  return toOperationView(updated);
}

const listOperationsInput = z.strictObject({ cluster: z.string().min(1).max(63).optional(), ...pageQuery });

/** Operations, newest first, optionally of one cluster. */
export async function listOperations(deps: ServiceDeps, caller: Caller, query: unknown): Promise<PageView<'operations', OperationView>> {
  requireRole(caller, 'viewer');
  const q = parseInput(listOperationsInput, query);
  const page = await listOperationRecords(deps.db, {
    ...(q.cluster !== undefined ? { clusterName: q.cluster } : {}),
    pageSize: q.pageSize ?? DEFAULT_PAGE_SIZE,
    pageToken: q.pageToken ?? null,
  });
  return { operations: page.items.map(toOperationView), nextPageToken: page.nextPageToken };
}

const listEventsInput = z.strictObject(pageQuery);

/** The timeline of an operation, oldest first: what happened, when, in words a human (or a bot) can relay. */
export async function listOperationEvents(deps: ServiceDeps, caller: Caller, id: unknown, query: unknown): Promise<PageView<'events', EventView>> {
  requireRole(caller, 'viewer');
  const q = parseInput(listEventsInput, query);
  const op = await findOperation(deps, id);
  const page = await listEvents(deps.db, { operationId: op.id }, { pageSize: q.pageSize ?? DEFAULT_PAGE_SIZE, pageToken: q.pageToken ?? null });
  return {
    events: page.items.map(toEventView),
    nextPageToken: page.nextPageToken,
  };
}

/**
 * Yields the operation now and again whenever it changes, until it reaches a final status or the
 * signal aborts. It reads the row again at each change announced in this process and at least
 * every `intervalMs`, so it also sees changes made by a worker in another process.
 */
export async function* watchOperation(
  deps: ServiceDeps,
  caller: Caller,
  id: unknown,
  signal: AbortSignal,
  intervalMs = 100,
): AsyncGenerator<OperationView> {
  requireRole(caller, 'viewer');
  let op = await findOperation(deps, id);
  let lastVersion = '';
  for (;;) {
    const version = `${op.updatedAt.getTime()}:${op.status}:${JSON.stringify(op.progress)}`;
    if (version !== lastVersion) {
      lastVersion = version;
      yield toOperationView(op);
    }
    if (isTerminal(op.status) || signal.aborted) return;
    await deps.nextChange(op.id, intervalMs, signal);
    if (signal.aborted) return;
    op = (await getOperationRecord(deps.db, op.id)) ?? op;
  }
}

async function findOperation(deps: ServiceDeps, id: unknown): Promise<OperationRecord> {
  if (typeof id !== 'string' || id.length === 0 || id.length > 100) {
    throw new DomainError('invalid', 'invalid_argument', 'operation id must be a non-empty string', [{ pointer: '/id', reason: 'must be an operation id' }]);
  }
  const op = await getOperationRecord(deps.db, id);
  if (!op) throw new DomainError('not_found', 'operation_not_found', `operation "${id}" does not exist`);
  return op;
}
