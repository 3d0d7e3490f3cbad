import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunEvent } from '../../src/store/operations.ts';
import { JournalFailed, LeaseLost, RunJournal } from '../../src/worker/runJournal.ts';

/** A journal over an in-memory store: every write as (save, event types), gated by `owned`. */
function journal(opts: { delayMs?: number; owned?: () => boolean; fail?: () => boolean } = {}) {
  const writes: { save: boolean; events: string[] }[] = [];
  const broken: (LeaseLost | JournalFailed)[] = [];
  let stored = 0;
  let release: (() => void) | null = null;
  let holdNext = false;
  const j = new RunJournal({
    delayMs: opts.delayMs ?? 5,
    write: async (save: boolean, events: readonly RunEvent[]) => {
      if (holdNext) {
        holdNext = false;
        await new Promise<void>((resolve) => (release = resolve));
      }
      if (opts.fail?.()) throw new Error('database went away');
      if (opts.owned && !opts.owned()) return false;
      writes.push({ save, events: events.map((e) => e.type) });
      return true;
    },
    onStored: () => stored++,
    onBroken: (reason) => broken.push(reason),
  });
  return {
    j, writes, broken,
    stored: () => stored,
    /** The next write waits until `release()`. */
    hold: () => (holdNext = true),
    release: () => release?.(),
  };
}

const waitFor = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  assert.ok(cond(), 'condition never held');
};

describe('RunJournal', () => {
  test('records made together share one write, in order, after the group-commit delay', async () => {
    const { j, writes, stored } = journal({ delayMs: 20 });
    j.save();
    j.event({ type: 'step_started', message: '' });
    j.event({ type: 'step_succeeded', message: '' });
    j.save();
    assert.equal(writes.length, 0, 'nothing is written at once');
    await waitFor(() => writes.length === 1);
    assert.deepEqual(writes, [{ save: true, events: ['step_started', 'step_succeeded'] }]);
    assert.equal(stored(), 1);
  });

  test('flush writes at once and resolves when everything recorded before it is stored', async () => {
    const { j, writes } = journal({ delayMs: 60_000 });
    j.event({ type: 'a', message: '' });
    j.save();
    await j.flush();
    assert.deepEqual(writes, [{ save: true, events: ['a'] }]);
    await j.flush();
    assert.equal(writes.length, 1, 'a flush with nothing recorded writes nothing');
  });

  test('what is recorded while a write is in flight goes out in the next write, never overtaking it', async () => {
    const t = journal({ delayMs: 1 });
    t.hold();
    t.j.event({ type: 'first', message: '' });
    await new Promise((r) => setTimeout(r, 10));
    t.j.event({ type: 'second', message: '' });
    t.j.save();
    t.j.event({ type: 'third', message: '' });
    const flushed = t.j.flush();
    t.release();
    await flushed;
    assert.deepEqual(t.writes, [{ save: false, events: ['first'] }, { save: true, events: ['second', 'third'] }]);
  });

  test('flushState stores the state at once and leaves the events to their group commit', async () => {
    const { j, writes } = journal({ delayMs: 30 });
    j.event({ type: 'step_started', message: '' });
    j.save();
    await j.flushState();
    assert.deepEqual(writes, [{ save: true, events: [] }]);
    await waitFor(() => writes.length === 2);
    assert.deepEqual(writes[1], { save: false, events: ['step_started'] });
  });

  test('writeNow starts the pending write at once, without waiting for it, and never overtakes one in flight', async () => {
    const t = journal({ delayMs: 60_000 });
    t.j.event({ type: 'step_started', message: '' });
    t.j.save();
    t.j.writeNow();
    await waitFor(() => t.writes.length === 1);
    assert.deepEqual(t.writes, [{ save: true, events: ['step_started'] }]);
    await t.j.flush();
    t.j.writeNow();
    assert.equal(t.writes.length, 1, 'with nothing recorded, nothing is written');
    t.hold();
    t.j.event({ type: 'first', message: '' });
    t.j.writeNow();
    t.j.event({ type: 'second', message: '' });
    t.j.writeNow();
    t.release();
    await waitFor(() => t.writes.length === 3);
    assert.deepEqual(t.writes.slice(1), [{ save: false, events: ['first'] }, { save: false, events: ['second'] }]);
  });

  test('close waits for the write in flight, hands back the events not stored, and stops writing', async () => {
    const t = journal({ delayMs: 1 });
    t.hold();
    t.j.event({ type: 'first', message: '' });
    await new Promise((r) => setTimeout(r, 10));
    t.j.event({ type: 'second', message: '' });
    const closing = t.j.close();
    t.release();
    assert.deepEqual((await closing).map((e) => e.type), ['second']);
    t.j.event({ type: 'late', message: '' });
    await t.j.flush();
    assert.deepEqual(t.writes.map((w) => w.events), [['first']]);
  });

  test('a lost lease breaks the journal: flush rejects, nothing more is written, the owner is told once', async () => {
    let owned = true;
    const { j, writes, broken } = journal({ owned: () => owned });
    j.event({ type: 'a', message: '' });
    await j.flush();
    owned = false;
    j.event({ type: 'b', message: '' });
    await assert.rejects(j.flush(), LeaseLost);
    owned = true;
    j.event({ type: 'c', message: '' });
    await assert.rejects(j.flush(), LeaseLost);
    assert.deepEqual(writes.map((w) => w.events), [['a']]);
    assert.equal(broken.length, 1);
  });

  test('a failed write breaks the journal with JournalFailed', async () => {
    const { j, broken } = journal({ fail: () => true });
    j.save();
    await assert.rejects(j.flush(), (err: unknown) => err instanceof JournalFailed && /database went away/.test(err.message));
    assert.ok(broken[0] instanceof JournalFailed);
  });
});
