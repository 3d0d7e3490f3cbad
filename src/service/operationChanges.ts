import { EventEmitter } from 'node:events';

/**
 * In-process announcements that an operation changed (progress stored, a step or the operation
 * ended), so that a caller waiting on it in the same process wakes at once instead of at its next
 * read. Changes made by a worker in another process are not announced here: waiters still read the
 * row again after at most their own interval.
 */
export class OperationChanges {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  /** Wakes everyone waiting on `operationId`. */
  announce(operationId: string): void {
    this.#emitter.emit(operationId);
  }

  /** Resolves at the next announcement for `operationId`, after `maxWaitMs`, or when `signal` aborts, whichever comes first. */
  next(operationId: string, maxWaitMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        this.#emitter.off(operationId, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, maxWaitMs);
      this.#emitter.once(operationId, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
