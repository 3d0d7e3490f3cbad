import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildSteps, step } from '../../src/domain/steps.ts';
import { PROGRESS_SAVE_MS, progressMeter } from '../../src/worker/progressMeter.ts';
import { fakeClock } from '../helpers/fakeClock.ts';

const fresh = { percent: 0, stepsDone: 0, stepsTotal: 4, currentStep: null };
const plan = () => buildSteps([
  step('check_cluster', 'check', { masters: [] }),
  step('move_slots', 'move', { moves: [], masters: [], replace: false }),
  step('wait_converged', 'wait', { timeoutSeconds: 60 }),
  step('record_slots', 'record', {}),
]);

describe('progressMeter', () => {
  test('percent counts finished steps plus the moved fraction of the running step, never reaching the next step', () => {
    const clock = fakeClock();
    const meter = progressMeter(fresh, clock);
    const steps = plan();
    assert.deepEqual(meter.progress(steps), { percent: 0, stepsDone: 0, stepsTotal: 4, currentStep: null });
    steps[0]!.status = 'succeeded';
    steps[1]!.status = 'running';
    meter.report({ slotsMoved: 50, slotsTotal: 100, keysMoved: 1000 });
    assert.equal(meter.progress(steps).percent, 37.5);
    assert.equal(meter.progress(steps).currentStep, '2-move_slots');
    meter.report({ slotsMoved: 100, slotsTotal: 100, keysMoved: 2000 });
    assert.equal(meter.progress(steps).percent, 49.8, 'capped at 0.99 of the step');
  });

  test('rate and ETA are measured over this run from its first report, on the clock', async () => {
    const clock = fakeClock(1_000);
    const meter = progressMeter(fresh, clock);
    const steps = plan();
    steps[1]!.status = 'running';
    meter.report({ slotsMoved: 0, slotsTotal: 1000, keysMoved: 0 });
    await clock.advance(2_000);
    meter.report({ slotsMoved: 200, slotsTotal: 1000, keysMoved: 5000 });
    const p = meter.progress(steps);
    assert.equal(p.keysPerSecond, 2500);
    assert.equal(p.etaSeconds, 8, '800 slots left at 100 slots/s');
    assert.equal(p.keysMoved, 5000);
    // Cancelled there: the slots left will not move, so there is nothing to estimate.
    for (const s of steps) s.status = s.status === 'pending' || s.status === 'running' ? 'skipped' : s.status;
    const ended = meter.progress(steps);
    assert.equal(ended.etaSeconds, null);
    assert.equal(ended.slotsMoved, 200);
  });

  test('where the step tells the keys it has left (atomic jobs), they and the key rate give the ETA before any slot moved', async () => {
    const clock = fakeClock(1_000);
    const meter = progressMeter(fresh, clock);
    const steps = plan();
    steps[1]!.status = 'running';
    meter.report({ slotsMoved: 0, slotsTotal: 2730, keysMoved: 0, keysRemaining: 16_000 });
    await clock.advance(2_000);
    // One job: its slots move only at its end, its keys all along.
    meter.report({ slotsMoved: 0, slotsTotal: 2730, keysMoved: 4_000, keysRemaining: 12_000 });
    const p = meter.progress(steps);
    assert.equal(p.keysRemaining, 12_000);
    assert.equal(p.keysPerSecond, 2000);
    assert.equal(p.etaSeconds, 6, '12,000 keys left at 2,000 keys/s');
    assert.equal(p.percent, 6.3, 'a quarter of the keys of the move, no slot moved yet: 0.25 of 1 step of 4');
    meter.report({ slotsMoved: 0, slotsTotal: 2730, keysMoved: 4_000, keysRemaining: 20_000 });
    assert.equal(meter.progress(steps).percent, 6.3, 'a higher estimate of the keys left does not take the percent back');
    meter.report({ slotsMoved: 100, slotsTotal: 1000, keysMoved: 4_000 });
    assert.equal(meter.progress(steps).keysRemaining, null, 'a step that cannot tell (the key engine) says null');
    assert.equal(meter.progress(steps).etaSeconds, 18, 'and the slots give the ETA: 900 left at 50/s');
  });

  test('a resumed run keeps the stored counts but measures its own rate; no rate means no ETA', () => {
    const clock = fakeClock();
    const meter = progressMeter({ ...fresh, slotsMoved: 300, slotsTotal: 1000, keysMoved: 9000 }, clock);
    assert.equal(meter.keysMoved, 9000);
    const p = meter.progress(plan());
    assert.equal(p.slotsMoved, 300);
    assert.equal(p.keysPerSecond, 0);
    assert.equal(p.etaSeconds, null);
  });

  test('asks to save at most every PROGRESS_SAVE_MS', async () => {
    const clock = fakeClock();
    const meter = progressMeter(fresh, clock);
    const report = () => meter.report({ slotsMoved: 1, slotsTotal: 2, keysMoved: 1 });
    assert.equal(report(), true);
    assert.equal(report(), false);
    await clock.advance(PROGRESS_SAVE_MS - 1);
    assert.equal(report(), false);
    await clock.advance(1);
    assert.equal(report(), true);
  });
});
