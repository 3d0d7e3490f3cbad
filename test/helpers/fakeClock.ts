import type { Clock } from '../../src/worker/clock.ts';

/** A {@link Clock} that only moves when told, for testing timers without waiting. */
export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, firing every interval that falls due on the way, in order, and letting their promises settle. */
  advance(ms: number): Promise<void>;
  /** Intervals still running. */
  readonly active: number;
}

/** Lets pending promise callbacks (and their follow-ups) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A fake clock starting at `start` ms.
 *
 * @example const clock = fakeClock(); keepLease({ ..., clock }); await clock.advance(5000);
 */
export function fakeClock(start = 0): FakeClock {
  let now = start;
  const timers = new Set<{ due: number; ms: number; fn: () => void }>();
  return {
    now: () => now,
    every(ms, fn) {
      const timer = { due: now + ms, ms, fn };
      timers.add(timer);
      return () => {
        timers.delete(timer);
      };
    },
    async advance(ms) {
      const end = now + ms;
      await settle();
      for (;;) {
        const next = [...timers].sort((a, b) => a.due - b.due)[0];
        if (!next || next.due > end) break;
        now = next.due;
        next.due += next.ms;
        next.fn();
        await settle();
      }
      now = end;
      await settle();
    },
    get active() {
      return timers.size;
    },
  };
}
