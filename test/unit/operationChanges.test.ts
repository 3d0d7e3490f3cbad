import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OperationChanges, UNFINISHED } from '../../src/service/operationChanges.ts';
import { ReadCache } from '../../src/service/readCache.ts';
import type { OperationRecord } from '../../src/store/records.ts';

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

test('next resolves at an announcement of its own operation only', async () => {
  const changes = new OperationChanges();
  const waiting = changes.next('op-1', 60_000);
  changes.announce('op-2');
  assert.equal(await settled(waiting), false);
  changes.announce('op-1');
  assert.equal(await settled(waiting), true);
});

test('next resolves with the operation an announcement carries', async () => {
  const changes = new OperationChanges();
  const stored = { id: 'op-1', status: 'succeeded' } as unknown as OperationRecord;
  const waiting = changes.next('op-1', 60_000);
  changes.announce('op-1', stored);
  assert.equal(await waiting, stored);
  const bare = changes.next('op-1', 60_000);
  changes.announce('op-1');
  assert.equal(await bare, undefined, 'a plain announcement carries nothing: the waiter reads the row');
  const progress = changes.next('op-1', 60_000);
  changes.announce('op-1', UNFINISHED);
  assert.equal(await progress, UNFINISHED, 'progress of a running operation says only that it has not ended');
});

test('an operation just queued is read from memory until something changes', async () => {
  const reads = new ReadCache();
  const queued = { id: 'op-1', status: 'queued' } as unknown as OperationRecord;
  reads.rememberOperation(queued);
  assert.equal(await reads.operation('op-1', async () => assert.fail('read from the database')), queued);
  reads.clear();
  const stored = { id: 'op-1', status: 'running' } as unknown as OperationRecord;
  assert.equal(await reads.operation('op-1', async () => stored), stored);
});

test('the clear after a change keeps the operations that change stored, unless something cleared them since', async () => {
  const reads = new ReadCache();
  const fromDb = (op: OperationRecord) => async () => op;
  const before = { id: 'op-0', status: 'running' } as unknown as OperationRecord;
  reads.rememberOperation(before);
  const since = reads.mark();
  const queued = { id: 'op-1', status: 'running' } as unknown as OperationRecord;
  reads.rememberOperation(queued);
  reads.clearAfterChange(since);
  assert.equal(await reads.operation('op-1', async () => assert.fail('read from the database')), queued, 'the long poll after a 202 reads nothing');
  const stored0 = { id: 'op-0', status: 'succeeded' } as unknown as OperationRecord;
  assert.equal(await reads.operation('op-0', fromDb(stored0)), stored0, 'what was remembered before the change is read again');

  const again = reads.mark();
  reads.rememberOperation({ id: 'op-2', status: 'queued' } as unknown as OperationRecord);
  reads.clear();
  reads.clearAfterChange(again);
  const stored2 = { id: 'op-2', status: 'running' } as unknown as OperationRecord;
  assert.equal(await reads.operation('op-2', fromDb(stored2)), stored2, 'a clear during the change (the run wrote) drops it');
});

test('next resolves when its wait is over, or at once when aborted', async () => {
  const changes = new OperationChanges();
  await changes.next('op-1', 1);
  const stop = new AbortController();
  const waiting = changes.next('op-1', 60_000, stop.signal);
  stop.abort();
  assert.equal(await settled(waiting), true);
  stop.abort();
  assert.equal(await settled(changes.next('op-1', 60_000, stop.signal)), true, 'an aborted signal does not wait at all');
});
