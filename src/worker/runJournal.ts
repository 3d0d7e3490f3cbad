import type { RunEvent } from '../store/operations.ts';

/** Raised by {@link RunJournal.flush} once a write found that another worker owns the operation. */
export class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
}

/** Raised by {@link RunJournal.flush} once a write failed (the database went away). */
export class JournalFailed extends Error {
  override readonly name = 'JournalFailed';
}

export interface JournalOptions {
  /**
   * Stores the state as it is now (when `save` is true) and the events, in order, in one write;
   * resolves false when the run no longer owns the operation.
   */
  readonly write: (save: boolean, events: readonly RunEvent[]) => Promise<boolean>;
  /** Told after every stored write (long polls and streams wake on it). */
  readonly onStored?: () => void;
  /** Told once, when a write finds the lease gone or fails; nothing more is written after. */
  readonly onBroken: (reason: LeaseLost | JournalFailed) => void;
  /**
   * How long a record may wait for others to share its write (a group commit), in ms; default
   * {@link GROUP_COMMIT_MS}. `flush` writes at once.
   */
  readonly delayMs?: number;
}

/**
 * Records wait up to this long to share one write. A step boundary alone records a save and two
 * events, and the writes of the embedded database run on the service's own thread (1-8 ms each
 * here), so grouping them is what keeps a short operation short (an atomic reshard of 0.1 s then
 * makes none before its end instead of about fifteen: its end takes them). 250 ms, because a
 * write in the middle of a short server job slows the job (the servers share the machine's
 * cores with this process: a 70-100 ms Redis 8 job took ~5-10 ms longer with a 100 ms delay,
 * which put the write inside it), and it keeps the stored state well within the "at least once a
 * second" that watchers rely on.
 */
export const GROUP_COMMIT_MS = 250;

/**
 * What a run records about its operation (the steps and progress, and the timeline's events),
 * written behind the run, in order, one write at a time: whatever was recorded while a write was
 * in flight goes out together in the next one (saves coalesce into the state as it is then).
 *
 * Why behind: a step's start and end, its progress and its events need not be stored before the
 * run goes on, because every step is idempotent and a resumed run repeats a step whose end was not
 * stored. A short operation otherwise spent more time on these writes than on its work (about 10
 * ms per step on the embedded database). Where the order with the outside world matters (an atomic
 * job recorded before the server is asked for it) the caller awaits {@link flushState}; the run's
 * end takes the events still pending ({@link close}) into the statement that ends the operation.
 */
export class RunJournal {
  readonly #opts: JournalOptions;
  #dirty = false;
  #events: RunEvent[] = [];
  #writing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #broken: LeaseLost | JournalFailed | null = null;
  #closed = false;

  constructor(opts: JournalOptions) {
    this.#opts = opts;
  }

  /** Records that the state changed: it is stored with the next write. */
  save(): void {
    this.#dirty = true;
    this.#schedule();
  }

  /** Appends an event to the timeline, stored with the next write, after those recorded before it. */
  event(event: RunEvent): void {
    this.#events.push(event);
    this.#schedule();
  }

  /**
   * Resolves once the state as it is now (steps, outputs, progress) is stored; the events wait for
   * their group commit. For what must be stored before the run goes on (an atomic job before the
   * server is asked for it): one small write instead of one with every pending event. Rejects as
   * {@link flush} does.
   */
  async flushState(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (this.#broken) throw this.#broken;
    if (!this.#dirty || this.#closed) return;
    this.#dirty = false;
    this.#writing = this.#write(true, []).finally(() => {
      this.#writing = null;
    });
    await this.#writing;
    if (this.#broken) throw this.#broken;
    if (this.#dirty || this.#events.length > 0) this.#schedule();
  }

  /**
   * Starts a write of what is recorded so far now instead of at the end of its group-commit delay,
   * without waiting for it: for a moment when the run only waits on the nodes, so the write costs
   * the run nothing (see `StepRecorder.storeWhileWaiting`).
   */
  writeNow(): void {
    this.#kick();
  }

  /**
   * Resolves once everything recorded so far is stored. Rejects with {@link LeaseLost} when a write
   * found the operation owned by another worker, with {@link JournalFailed} when one failed.
   */
  async flush(): Promise<void> {
    while (this.#writing || (!this.#broken && !this.#closed && (this.#dirty || this.#events.length > 0))) {
      this.#kick();
      await this.#writing;
    }
    if (this.#broken) throw this.#broken;
  }

  /**
   * Stops writing: waits for the write in flight and hands back the events not stored yet, for the
   * caller to store with the operation's end (which stores the state too). Rejects as {@link flush}
   * does. Records made after it are not stored.
   */
  async close(): Promise<RunEvent[]> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    while (this.#writing) await this.#writing;
    if (this.#broken) throw this.#broken;
    const events = this.#events;
    this.#events = [];
    this.#dirty = false;
    return events;
  }

  /** Starts a write within the group-commit delay unless one is due or in flight (which writes what came meanwhile). */
  #schedule(): void {
    if (this.#timer || this.#writing || this.#broken || this.#closed) return;
    this.#timer = setTimeout(() => this.#kick(), this.#opts.delayMs ?? GROUP_COMMIT_MS);
  }

  /** Starts a write now unless one is in flight (which starts the next when it ends). */
  #kick(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#writing || this.#broken || this.#closed) return;
    if (!this.#dirty && this.#events.length === 0) return;
    this.#writing = this.#drain().finally(() => {
      this.#writing = null;
    });
  }

  async #drain(): Promise<void> {
    while (!this.#broken && !this.#closed && (this.#dirty || this.#events.length > 0)) {
      const save = this.#dirty;
      const events = this.#events;
      this.#dirty = false;
      this.#events = [];
      await this.#write(save, events);
    }
  }

  /** One write; a lost lease or a failure breaks the journal. */
  async #write(save: boolean, events: readonly RunEvent[]): Promise<void> {
    try {
      if (!(await this.#opts.write(save, events))) this.#break(new LeaseLost('lease lost'));
      else this.#opts.onStored?.();
    } catch (err) {
      this.#break(new JournalFailed(`recording the run failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
    }
  }

  #break(reason: LeaseLost | JournalFailed): void {
    if (this.#broken) return;
    this.#broken = reason;
    this.#opts.onBroken(reason);
  }
}
