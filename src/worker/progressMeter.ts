import type { Progress } from '../domain/operation.ts';
import type { Step } from '../domain/steps.ts';
import type { Clock } from './clock.ts';
import type { StepProgress } from './stepContext.ts';

/** How often in-step progress is stored at most (design.md: at least once a second while work happens). */
export const PROGRESS_SAVE_MS = 500;

/** Measures an operation's progress: steps done, slots and keys moved, the rate and the ETA. */
export interface ProgressMeter {
  /**
   * Takes the slots and keys moved so far in this operation; true when it is time to store the
   * progress (at most every {@link PROGRESS_SAVE_MS}).
   */
  report(moved: StepProgress): boolean;
  /** Keys moved so far, in this run and the runs it resumes. */
  readonly keysMoved: number;
  /** The progress to store and show, for the steps as they are now. */
  progress(steps: readonly Step[]): Progress;
}

/**
 * A meter that continues from `start` (the stored progress of a resumed operation). Rate and ETA
 * are measured over this run only, from its first report, so a resumed run does not count the old
 * run's work in its speed. The percent counts finished steps, plus the fraction of the running
 * step's work done (capped below the next step): of its slots moved, or of its keys where it tells
 * the keys it has left (an atomic job's slots move only at its end, its keys all along); it never
 * goes back, even when a later estimate of the keys left is higher.
 *
 * @example
 *   const meter = progressMeter(op.progress, systemClock);
 *   if (meter.report({ slotsMoved: 10, slotsTotal: 100, keysMoved: 500 })) await save(meter.progress(steps));
 */
export function progressMeter(start: Progress, clock: Clock): ProgressMeter {
  let moved: StepProgress | null = (start.slotsTotal ?? 0) > 0
    ? { slotsMoved: start.slotsMoved ?? 0, slotsTotal: start.slotsTotal ?? 0, keysMoved: start.keysMoved ?? 0, ...(typeof start.keysRemaining === 'number' ? { keysRemaining: start.keysRemaining } : {}) }
    : null;
  let rateBase: { at: number; slots: number; keys: number } | null = null;
  let lastSave = -Infinity;
  let highest = start.percent;
  return {
    report(p) {
      const now = clock.now();
      rateBase ??= { at: now, slots: p.slotsMoved, keys: p.keysMoved };
      moved = p;
      if (now - lastSave < PROGRESS_SAVE_MS) return false;
      lastSave = now;
      return true;
    },
    get keysMoved() {
      return moved?.keysMoved ?? 0;
    },
    progress(steps) {
      const done = steps.filter((s) => s.status === 'succeeded' || s.status === 'skipped').length;
      const running = steps.some((s) => s.status === 'running');
      // Once no step runs or waits, nothing is left to estimate (a cancel or failure left slots unmoved).
      const ended = steps.every((s) => s.status !== 'running' && s.status !== 'pending');
      const fraction = running && moved && moved.slotsTotal > 0 ? movedFraction(moved) : 0;
      const base: Progress = {
        percent: (highest = Math.max(highest, Math.min(100, Math.round(((done + Math.min(fraction, 0.99)) / steps.length) * 1000) / 10))),
        stepsDone: done,
        stepsTotal: steps.length,
        currentStep: steps.find((s) => s.status === 'running')?.id ?? null,
      };
      if (!moved) return base;
      const seconds = rateBase ? (clock.now() - rateBase.at) / 1000 : 0;
      const slotRate = seconds > 0 && rateBase ? (moved.slotsMoved - rateBase.slots) / seconds : 0;
      const keyRate = seconds > 0 && rateBase ? (moved.keysMoved - rateBase.keys) / seconds : 0;
      const keysRemaining = moved.keysRemaining ?? null;
      // Keys arrive all along a job, slots only at its end: where the step can tell the keys left, they say when it ends.
      const eta = keysRemaining !== null && keyRate > 0 ? keysRemaining / keyRate
        : slotRate > 0 ? (moved.slotsTotal - moved.slotsMoved) / slotRate : null;
      return {
        ...base,
        slotsMoved: moved.slotsMoved,
        slotsTotal: moved.slotsTotal,
        keysMoved: moved.keysMoved,
        keysPerSecond: Math.round(keyRate),
        keysRemaining,
        etaSeconds: eta !== null && !ended ? Math.round(eta * 10) / 10 : null,
      };
    },
  };
}

/**
 * The fraction of a moving step's work done: slots moved of the total, or, where the step tells
 * the keys it has left, keys moved of moved plus left when that is further along.
 * (The meter keeps the percent from going back when a new estimate of the keys left is higher.)
 */
function movedFraction(p: StepProgress): number {
  const bySlots = p.slotsMoved / p.slotsTotal;
  const keys = p.keysRemaining === undefined || p.keysRemaining === null ? 0 : p.keysMoved + p.keysRemaining;
  return keys > 0 ? Math.max(bySlots, p.keysMoved / keys) : bySlots;
}
