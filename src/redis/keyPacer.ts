import { sleep } from './sleep.ts';

/** Called after keys moved: resolves once moving them fits the rate (at once when it already does). */
export type KeyPacer = (keys: number, signal?: AbortSignal) => Promise<void>;

/**
 * Keeps a stream of moved keys at `keysPerSecond` on average since the pacer was made: after `n`
 * keys it waits until the total moved so far is due. A stream slower than the rate never waits.
 *
 * @example const pace = keyPacer(5000); await migrate(batch); await pace(batch.length);
 */
export function keyPacer(
  keysPerSecond: number,
  now: () => number = () => performance.now(),
  wait: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
): KeyPacer {
  const started = now();
  let total = 0;
  return async (keys, signal) => {
    total += keys;
    const dueAt = started + (total / keysPerSecond) * 1000;
    const ahead = dueAt - now();
    // Under a millisecond ahead is noise, not a reason to yield.
    if (ahead >= 1) await wait(ahead, signal);
  };
}
