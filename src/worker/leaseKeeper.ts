import type { Clock } from './clock.ts';

export interface LeaseKeeperOptions {
  /** Extends the lease; resolves false when another worker owns the operation now. */
  readonly renew: () => Promise<boolean>;
  /** The lease's length; it is renewed every third of it (at least every second). */
  readonly leaseSeconds: number;
  /** Called once, when a renewal finds the lease lost. */
  readonly onLost: () => void;
  /** Called when a renewal fails for another reason (the database is away); the next one may work. */
  readonly onError: (err: unknown) => void;
  readonly clock: Clock;
}

/** A running lease keeper. */
export interface LeaseKeeper {
  /** Whether a renewal found the lease taken by someone else. */
  readonly lost: boolean;
  /** Stops renewing (the operation ended or was handed over). */
  stop(): void;
}

/**
 * Keeps a claimed operation's lease alive by renewing it every third of its length, as pg-boss's
 * heartbeat does at half: two renewals may fail (a slow database) before the lease runs out and
 * another worker resumes the operation. A renewal that finds the lease lost calls `onLost` once
 * and stops renewing; the run must then stop writing.
 *
 * @example const lease = keepLease({ renew: () => renewLease(db, id, me, 15), leaseSeconds: 15, onLost, onError, clock: systemClock });
 */
export function keepLease(opts: LeaseKeeperOptions): LeaseKeeper {
  let lost = false;
  let renewing = false;
  const stop = opts.clock.every(Math.max(1000, (opts.leaseSeconds * 1000) / 3), () => {
    // One renewal at a time: a slow one must not pile up behind itself.
    if (lost || renewing) return;
    renewing = true;
    opts.renew().then((owned) => {
      if (!owned && !lost) {
        lost = true;
        stop();
        opts.onLost();
      }
    }, opts.onError).finally(() => {
      renewing = false;
    });
  });
  return {
    get lost() {
      return lost;
    },
    stop,
  };
}
