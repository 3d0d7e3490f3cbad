import { sleep } from './sleep.ts';

/** Called after keys moved: resolves once moving them fits the rate (at once when it already does). */
export type KeyPacer = (keys: number, signal?: AbortSignal) => Promise<void>;

/**
 * Keeps a stream of moved keys at `maxKeysPerSecond` (the throttle's limit; the rate measured in
 * an operation's progress is `keysPerSecond`) on average since the pacer was made: after `n` keys
 * it waits until the total moved so far is due. A stream slower than the limit never waits.
 *
 * @example const pace = keyPacer(5000); await migrate(batch); await pace(batch.length);
 */
export function keyPacer(
  maxKeysPerSecond: number,
  now: () => number = () => performance.now(),
  wait: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
): KeyPacer {
  const started = now();
  let total = 0;
  return async (keys, signal) => {
    total += keys;
    const dueAt = started + (total / maxKeysPerSecond) * 1000;
    const ahead = dueAt - now();
    // Under a millisecond ahead is noise, not a reason to yield.
    if (ahead >= 1) await wait(ahead, signal);
  };
}
