import type { Clock } from './clock.ts';

/** The abort reason when a caller asked to cancel: executors stop at their next safe point. */
export class CancelRequested extends Error {
  override readonly name = 'CancelRequested';
}

export interface CancelWatcherOptions {
  /** The operation was already `cancelling` when claimed. */
  readonly requested: boolean;
  /** Reads whether the operation is `cancelling` now (made through any process). */
  readonly isCancelling: () => Promise<boolean>;
  /** How often to read. */
  readonly pollMs: number;
  /** Aborts when a cancel is made through this process, so it need not wait for the next read. */
  readonly immediate?: AbortSignal | undefined;
  readonly clock: Clock;
}

/** A running cancel watcher. */
export interface CancelWatcher {
  /** Aborts (with a {@link CancelRequested}) once a cancel is seen. */
  readonly signal: AbortSignal;
  readonly requested: boolean;
  stop(): void;
}

/**
 * Watches for a cancel request: one made through this process arrives at once (`immediate`), one
 * made through another process is seen by reading the operation every `pollMs`. Either way
 * `signal` aborts once, and the poll stops.
 *
 * @example const cancel = watchCancel({ requested: false, isCancelling, pollMs: 500, immediate, clock: systemClock });
 */
export function watchCancel(opts: CancelWatcherOptions): CancelWatcher {
  const controller = new AbortController();
  const request = (): void => {
    if (controller.signal.aborted) return;
    controller.abort(new CancelRequested('cancel requested'));
    stopPolling();
    opts.immediate?.removeEventListener('abort', request);
  };
  const stopPolling = opts.clock.every(opts.pollMs, () => {
    opts.isCancelling().then((cancelling) => {
      if (cancelling) request();
    }, () => undefined);
  });
  opts.immediate?.addEventListener('abort', request, { once: true });
  if (opts.requested || opts.immediate?.aborted) request();
  return {
    signal: controller.signal,
    get requested() {
      return controller.signal.aborted;
    },
    stop() {
      stopPolling();
      opts.immediate?.removeEventListener('abort', request);
    },
  };
}
