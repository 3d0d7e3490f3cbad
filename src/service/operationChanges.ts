import { EventEmitter } from 'node:events';
import type { OperationRecord } from '../store/records.ts';

/** Announced for a running operation that recorded progress: it has not ended. */
export const UNFINISHED = 'unfinished';

/**
 * In-process announcements that an operation changed (progress stored, a step or the operation
 * ended), so that a caller waiting on it in the same process wakes at once instead of at its next
 * read. Changes made by a worker in another process are not announced here: waiters still read the
 * row again after at most their own interval.
 */
export class OperationChanges {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  /**
   * Wakes everyone waiting on `operationId`; `stored` is the operation as just stored, when the
   * announcer has it (claimed, or ended), so that waiters need not read it again, or
   * {@link UNFINISHED} when the announcer knows only that it has not ended (a running operation
   * recorded progress): a waiter for the end need not read it then.
   */
  announce(operationId: string, stored?: OperationRecord | typeof UNFINISHED): void {
    this.#emitter.emit(operationId, stored);
  }

  /**
   * Resolves at the next announcement for `operationId` (with the operation when it came with
   * one), after `maxWaitMs`, or when `signal` aborts, whichever comes first.
   */
  next(operationId: string, maxWaitMs: number, signal?: AbortSignal): Promise<OperationRecord | typeof UNFINISHED | undefined> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(undefined);
      const done = (stored?: OperationRecord | typeof UNFINISHED): void => {
        clearTimeout(timer);
        this.#emitter.off(operationId, done);
        signal?.removeEventListener('abort', onAbort);
        resolve(stored);
      };
      const onAbort = (): void => done();
      const timer = setTimeout(done, maxWaitMs);
      this.#emitter.once(operationId, done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
