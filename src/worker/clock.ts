/**
 * Time as the step runner's parts see it, so tests drive them with a fake clock instead of waiting.
 * `now` is in milliseconds (any origin); `every` calls `fn` every `ms` until the returned stop is called.
 */
export interface Clock {
  now(): number;
  every(ms: number, fn: () => void): () => void;
}

/** The real clock: `performance.now()` and unref'd intervals (they never keep the process alive). */
export const systemClock: Clock = {
  now: () => performance.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};
