/**
 * When a failed webhook delivery is tried again: exponential backoff from `baseMs` (5 s by default),
 * doubling per attempt up to `capMs` (1 h), each delay scaled by a random factor in [0.8, 1.2) so
 * that many deliveries failing together do not retry together; given up once the next attempt
 * would fall after `giveUpMs` (24 h) since the delivery was created. The README's webhook section
 * states the same numbers.
 */
export interface RetrySchedule {
  readonly baseMs: number;
  readonly capMs: number;
  readonly giveUpMs: number;
}

export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = { baseMs: 5_000, capMs: 60 * 60 * 1000, giveUpMs: 24 * 60 * 60 * 1000 };

/**
 * The time of the next attempt after `attempts` failed ones (1 after the first failure), or null
 * when the delivery should be given up. `random` returns a number in [0, 1).
 */
export function nextAttemptAt(schedule: RetrySchedule, attempts: number, createdAt: Date, now: Date, random: () => number = Math.random): Date | null {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const delay = Math.min(schedule.capMs, schedule.baseMs * 2 ** exponent) * (0.8 + 0.4 * random());
  const at = new Date(now.getTime() + delay);
  return at.getTime() - createdAt.getTime() > schedule.giveUpMs ? null : at;
}
