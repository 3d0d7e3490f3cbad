import { sleep } from './sleep.ts';

/**
 * Paces moved keys. Before a call that moves up to `maxKeys` keys, `reserve` waits until moving
 * them keeps the limit, then resolves with `settle`, which records how many really moved (the rest
 * of the reservation is given back).
 */
export interface KeyPacer {
  reserve(maxKeys: number, signal?: AbortSignal): Promise<(moved: number) => void>;
}

/** The window the limit is kept over. */
const WINDOW_MS = 1000;

/**
 * Keeps a stream of moved keys within `maxKeysPerSecond` (the throttle's limit; the rate measured
 * in an operation's progress is `keysPerSecond`) over every window of one second, not just on
 * average: a reservation is admitted only when the keys reserved in the last second, plus its
 * own, fit the limit; otherwise it waits until enough older ones are a second old. So several
 * sources starting at once do not burst, and a source that paused cannot catch up with a burst
 * either. A reservation larger than the limit is cut to it (callers move at most a tenth of it at
 * a time). A stream slower than the limit never waits.
 *
 * @example
 *   const pacer = keyPacer(5000);
 *   const settle = await pacer.reserve(500);
 *   settle(await migrate(upTo500Keys));
 */
export function keyPacer(
  maxKeysPerSecond: number,
  now: () => number = () => performance.now(),
  wait: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
): KeyPacer {
  const recent: { at: number; keys: number }[] = [];
  // Reservations are admitted one at a time and in order, so a small one cannot overtake a waiting one.
  let queue: Promise<unknown> = Promise.resolve();
  const admit = async (keys: number, signal?: AbortSignal): Promise<{ at: number; keys: number }> => {
    for (;;) {
      const t = now();
      while (recent.length > 0 && recent[0]!.at <= t - WINDOW_MS) recent.shift();
      const inWindow = recent.reduce((n, r) => n + r.keys, 0);
      if (inWindow + keys <= maxKeysPerSecond || recent.length === 0) {
        const entry = { at: t, keys };
        recent.push(entry);
        return entry;
      }
      // Wait until the oldest reservations leave the window and make room.
      let freed = inWindow + keys - maxKeysPerSecond;
      let until = recent[0]!.at;
      for (const r of recent) {
        until = r.at;
        freed -= r.keys;
        if (freed <= 0) break;
      }
      await wait(Math.max(1, until + WINDOW_MS - t), signal);
    }
  };
  return {
    async reserve(maxKeys, signal) {
      const keys = Math.max(0, Math.min(maxKeys, maxKeysPerSecond));
      const turn = queue.then(() => admit(keys, signal));
      queue = turn.catch(() => undefined);
      const entry = await turn;
      return (moved) => {
        entry.keys = Math.min(entry.keys, Math.max(0, moved));
      };
    },
  };
}
