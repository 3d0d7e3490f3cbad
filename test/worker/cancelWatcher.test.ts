import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CancelRequested, watchCancel } from '../../src/worker/cancelWatcher.ts';
import { fakeClock } from '../helpers/fakeClock.ts';

describe('watchCancel', () => {
  test('a cancel made in another process is seen at the next read', async () => {
    const clock = fakeClock();
    let cancelling = false;
    let reads = 0;
    const watcher = watchCancel({ requested: false, isCancelling: async () => (reads++, cancelling), pollMs: 500, clock });
    await clock.advance(1_000);
    assert.equal(watcher.requested, false);
    assert.equal(reads, 2);
    cancelling = true;
    await clock.advance(500);
    assert.equal(watcher.requested, true);
    assert.ok(watcher.signal.reason instanceof CancelRequested);
    await clock.advance(5_000);
    assert.equal(reads, 3, 'no more reads once cancelled');
    assert.equal(clock.active, 0);
  });

  test('a cancel made through this process arrives at once, without a read', async () => {
    const clock = fakeClock();
    const immediate = new AbortController();
    const watcher = watchCancel({ requested: false, isCancelling: async () => assert.fail('no read needed'), pollMs: 500, immediate: immediate.signal, clock });
    immediate.abort();
    assert.equal(watcher.requested, true);
    watcher.stop();
  });

  test('an operation claimed while cancelling starts cancelled; a failing read is ignored', async () => {
    const clock = fakeClock();
    assert.equal(watchCancel({ requested: true, isCancelling: async () => false, pollMs: 500, clock }).requested, true);
    const watcher = watchCancel({ requested: false, isCancelling: async () => { throw new Error('database away'); }, pollMs: 500, clock });
    await clock.advance(2_000);
    assert.equal(watcher.requested, false);
    watcher.stop();
    assert.equal(clock.active, 0);
  });
});
