import { countNearSource, isJobFinished, jobSlotsKey, plannedJobs, type MigrationJob } from '../domain/migrationJob.ts';
import type { AtomicDialect } from '../domain/serverCapabilities.ts';
import type { SlotMove } from '../domain/slotMove.ts';
import { countSlots, type SlotRange } from '../domain/slotRange.ts';
import { rangesToSlots, subtractRanges } from '../domain/slotSet.ts';
import { atomicJobStatus, cancelAtomicJob, findAtomicJob, formatRanges, keysArrived, startAtomicJob, type AtomicJobStatus, type JobEnds } from '../redis/atomicMigration.ts';
import { countKeysInSlots } from '../redis/countKeysInSlots.ts';
import { readClusterView } from '../redis/readClusterView.ts';
import { sleep } from '../redis/sleep.ts';
import { CancelRequested } from './cancelWatcher.ts';
import type { PlannedLook, StepContext, StepResult } from './stepContext.ts';
import { StepFailure } from './stepFailure.ts';
import { DomainError } from '../domain/errors.ts';
import type { ObservedNode } from '../domain/observedTopology.ts';

/**
 * How often running jobs are asked how they stand: every 5 ms at first, then every 1/20 of the
 * time the youngest has run so far, at most every 50 ms. Jobs of a few thousand slots end in 0.07-0.3 s
 * here, so the first polls must be short to add little to them (a 100 ms poll added ~20% on Valkey
 * 9); a long job is seen to end within 5% of its time at one cheap command per job per poll.
 */
export function jobPollMs(runningForMs: number): number {
  return Math.min(50, Math.max(5, runningForMs / 20));
}
/**
 * How long a job runs before the keys that reached its target are read, and how often after:
 * progress is stored at most every 500 ms anyway (PROGRESS_SAVE_MS), and on Valkey the read is a
 * count over the job's slots on the target (milliseconds of its thread). Jobs of a few thousand
 * slots here end sooner and are never read: their keys count when they end.
 */
export const ARRIVALS_READ_MS = 500;
/** Jobs per move, the first included: a failed or lost job is retried this often for what it did not move. */
export const JOB_ATTEMPTS = 3;
/**
 * How long a node of a move may stay unreachable (restarting, loading its data) before the step
 * fails: a restarted node forgets its jobs, and the step retries what did not move once it is back.
 */
export const NODE_OUTAGE_MS = 30_000;
/** How long a cancel waits for the servers to report the cancelled jobs as finished. */
const CANCEL_WAIT_MS = 15_000;

/**
 * The atomic engine of `move_slots`: one server-side job per move (source to target), watched
 * until each ends. Valkey takes them all at once (a source runs several exports, and a node may
 * export and import at the same time), so all are asked for at once; Redis 8 runs one task per
 * node at a time, so a move starts once neither of its nodes takes part in a running job (see
 * `busy`), moves between disjoint pairs still running in parallel.
 *
 * Crash safety: a job is recorded in the step's outputs before it is asked for and again with the
 * server's id, so a resumed run adopts jobs still running or already finished (found by id, or by
 * their slots when the id was never stored) instead of starting them twice. What moved is always
 * read from the target's slot map: after a job failed or vanished (a restarted node forgets its
 * jobs) only the slots the target does not serve yet get a new job, up to {@link JOB_ATTEMPTS}.
 *
 * Cancel (a `CancelRequested` abort) cancels every running job at both ends and waits until the
 * servers report them finished: an atomic job never leaves a slot half moved, so what moved is
 * exactly what the slot map says. A lost lease or a shutdown leaves the jobs running for the next
 * owner to adopt.
 */
export async function moveSlotsAtomically(ctx: StepContext<'move_slots'>, dialect: AtomicDialect): Promise<StepResult> {
  const { moves } = ctx.step.params;
  const slotsTotal = moves.reduce((n, m) => n + m.slotCount, 0);
  const run = new JobBook(ctx, dialect, ctx.step.outputs?.jobs ?? []);
  const keysBefore = ctx.keysMovedSoFar - run.keysMoved();
  const report = (): void => {
    const keysRemaining = run.keysRemaining();
    ctx.reportProgress({ slotsMoved: slotsTotal - run.slotsRemaining(), slotsTotal, keysMoved: keysBefore + run.keysMoved(), ...(keysRemaining === null ? {} : { keysRemaining }) });
  };

  await run.refresh();
  try {
    // A fresh step stores the jobs it is about to ask for while it reads what the moves still have
    // to move: the write the first jobs wait for then costs nothing on top of the reads.
    await Promise.all([run.prepare(), run.recordAhead()]);
  } catch (err) {
    run.forgetAhead();
    throw err;
  }
  // The slot maps are read at the start, for a move whose job did not succeed, and once at the end
  // to confirm: while jobs run, a poll asks only for their state, one cheap command per job.
  let settled = true;
  // The poll follows the youngest job: on Redis 8 the moves into one node run one after the other,
  // and each new job must be seen to end as soon as the first did.
  let since = Date.now();
  for (;;) {
    if (ctx.signal.aborted) {
      run.forgetAhead();
      if (ctx.signal.reason instanceof CancelRequested) await run.cancelAll();
      await run.confirm();
      report();
      throw ctx.signal.reason;
    }
    if (settled) {
      const started = await run.startWhatRemains();
      if (started) since = Date.now();
      // Jobs that all reported success handed their slots over: the slot maps need another read
      // only after a job that did not (wait_converged then checks that every node agrees).
      if (!started && run.running().length === 0 && (run.knownDone() || (await run.confirm()))) break;
      report();
    }
    await sleep(jobPollMs(Date.now() - since), ctx.signal).catch(() => undefined);
    // With nothing running (a node of the next move was unreachable), try again at every poll.
    settled = (await run.refresh()) || run.running().length === 0;
    if (!settled && (await run.readArrivals())) report();
  }
  report();
  const jobs = run.jobs.filter((j) => j.state === 'succeeded');
  const keys = jobs.reduce((n, j) => n + j.keys, 0);
  const byJobs = jobs.reduce((n, j) => n + j.slotCount, 0);
  // Slots at their target that no job of this step moved: an earlier operation's work, or the key engine's.
  const alreadyThere = Math.max(0, slotsTotal - byJobs);
  return {
    detail: `${byJobs} slots moved by ${jobs.length} atomic ${jobs.length === 1 ? 'job' : 'jobs'} (~${keys} keys)` +
      `${alreadyThere > 0 ? `, ${alreadyThere} slots already in place` : ''}`,
  };
}

/** The jobs of one `move_slots` step: what the servers run for it, kept in the step's outputs. */
class JobBook {
  jobs: MigrationJob[];
  readonly #ctx: StepContext<'move_slots'>;
  readonly #dialect: AtomicDialect;
  /** Per move (`from to`): the slots its target does not serve yet (sorted, merged ranges), as last read or inferred. */
  readonly #remaining = new Map<string, SlotRange[]>();
  /** Moves whose remaining slots must be read again before they are trusted. */
  readonly #stale = new Set<string>();
  /** Since when a node of the moves has not answered (null while all answer). */
  #outageSince: number | null = null;
  /** Jobs stored by {@link recordAhead} and not asked for yet (see `start`). */
  #ahead: MigrationJob[] | null = null;
  /** When each running job's arrived keys were last read (by job id). */
  readonly #readAt = new Map<string, number>();
  /** The keys of each job stored ahead, counted on its source meanwhile (by the job's slots, `from to slots`). */
  readonly #countedAhead = new Map<string, Promise<number>>();

  constructor(ctx: StepContext<'move_slots'>, dialect: AtomicDialect, recorded: readonly MigrationJob[]) {
    this.#ctx = ctx;
    this.#dialect = dialect;
    // The jobs stored with the plan were not asked for by an earlier run when there was none: in
    // the operation's first run they are the jobs stored ahead (see `recordAhead`).
    const planned = ctx.operation.attempts === 1 ? recorded.filter((j) => j.state === 'planned') : [];
    this.jobs = recorded.filter((j) => !planned.includes(j));
    if (planned.length > 0) this.#ahead = planned;
  }

  running(): MigrationJob[] {
    return this.jobs.filter((j) => !isJobFinished(j.state));
  }

  /**
   * Runs `fn`, riding out a node that does not answer (connection refused or lost, `LOADING` after
   * a restart): undefined until it answers again; the step fails once the outage has lasted
   * {@link NODE_OUTAGE_MS}.
   */
  async tolerate<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      const value = await fn();
      this.#outageSince = null;
      return value;
    } catch (err) {
      if (!isOutage(err)) throw err;
      const now = Date.now();
      this.#outageSince ??= now;
      if (now - this.#outageSince > NODE_OUTAGE_MS) throw err;
      this.#ctx.log.warn('a node of an atomic migration does not answer; waiting', { error: (err as Error).message });
      return undefined;
    }
  }

  /**
   * Redis 8 runs one migration task per node at a time, as source or target ("another ASM task is
   * already in progress", `asmCreateImportTask` in redis/redis src/cluster_asm.c): a move waits
   * while either of its nodes takes part in a running job.
   */
  busy(move: SlotMove): boolean {
    const nodes = new Set([move.from.id, move.to.id]);
    return this.running().some((j) => nodes.has(j.from.id) || nodes.has(j.to.id));
  }

  /** Keys the jobs moved: all of a job that succeeded, what reached the target of one that runs (as last read). */
  keysMoved(): number {
    return this.jobs.reduce((n, j) => n + (j.state === 'succeeded' ? j.keys : isJobFinished(j.state) ? 0 : (j.keysArrived ?? 0)), 0);
  }

  /**
   * Keys the running jobs still have to move (their counts less what reached their targets), when
   * every move that has slots left has a job running; else null (a move waiting for its nodes, on
   * Redis 8, has not been counted yet).
   */
  keysRemaining(): number | null {
    const running = this.running();
    const waiting = this.#ctx.step.params.moves.some((m) => (this.#remaining.get(keyOf(m))?.length ?? 1) > 0
      && !running.some((j) => j.from.id === m.from.id && j.to.id === m.to.id));
    if (waiting || running.some((j) => j.id === null)) return null;
    return running.reduce((n, j) => n + Math.max(0, j.keys - (j.keysArrived ?? 0)), 0);
  }

  /**
   * Reads how many keys reached the target of each job that has run for {@link ARRIVALS_READ_MS}
   * since it was last read (see the redis layer's `keysArrived`), kept within the job's own count;
   * true when one changed. A node that does not answer is read at the next turn.
   */
  async readArrivals(): Promise<boolean> {
    const now = Date.now();
    const due = this.running().filter((j) => j.id !== null && now - j.requestedAt >= ARRIVALS_READ_MS && now - (this.#readAt.get(j.id) ?? 0) >= ARRIVALS_READ_MS);
    if (due.length === 0) return false;
    let changed = false;
    await Promise.all(due.map(async (job) => {
      this.#readAt.set(job.id!, now);
      const arrived = await keysArrived(this.#dialect, await this.#ctx.connections.get(job.to.address), job).catch(() => null);
      if (arrived === null) return;
      const kept = Math.min(job.keys, Math.max(0, arrived));
      const i = this.jobs.findIndex((j) => j.id === job.id);
      if (i < 0 || isJobFinished(this.jobs[i]!.state) || this.jobs[i]!.keysArrived === kept) return;
      this.jobs[i] = { ...this.jobs[i]!, keysArrived: kept };
      changed = true;
    }));
    if (changed) this.saveBehind();
    return changed;
  }

  /**
   * The keys in `job`'s slots (an estimate for progress and events), counted near its source as
   * the look the plan was made from shows it (`countNearSource`; without that look, on the
   * source), before the job is asked for. The first jobs of a run that planning handed its look
   * to were counted by planning (`PlannedLook.jobKeys`: see the service's `countFirstJobKeys`).
   */
  countKeys(job: Pick<MigrationJob, 'from' | 'slots'>): Promise<number> {
    return countNearSource(this.#ctx.plannedLook?.nodes ?? [], job, async (address) => countKeysInSlots(await this.#ctx.connections.get(address), job.slots));
  }

  async ends(job: Pick<SlotMove, 'from' | 'to'>): Promise<JobEnds> {
    const [source, target] = await Promise.all([this.#ctx.connections.get(job.from.address), this.#ctx.connections.get(job.to.address)]);
    return { source, target };
  }

  /**
   * In a step that has no job yet: the jobs its first batch will ask for (`plannedJobs`: every
   * slot of those moves still to move, as in a fresh plan), stored so that `start` need not write
   * before asking, and their keys counted meanwhile. The operation stored them
   * with its plan (nothing to write then: see `queuedOperation`); a step that has none (a plan
   * stored before they were) stores them and waits for the write. A job stored ahead and never
   * asked for is found missing by a resumed run, as one whose ask was lost in a crash.
   */
  async recordAhead(): Promise<void> {
    const stored = this.#ahead !== null;
    if (!stored && this.jobs.length > 0) return;
    const ahead = this.#ahead ?? plannedJobs(this.#ctx.step.params.moves, this.#dialect, Date.now());
    if (ahead.length === 0) return;
    this.#ahead = ahead;
    // Their keys are counted meanwhile too, before any is asked for (see `countKeys`), unless
    // planning counted them while it stored the operation.
    for (const job of ahead) {
      const counting = (stored ? this.#ctx.plannedLook?.jobKeys?.get(jobSlotsKey(job)) : undefined) ?? this.countKeys(job);
      counting.catch(() => undefined);
      this.#countedAhead.set(jobSlotsKey(job), counting);
    }
    if (!stored) await this.#ctx.saveOutputs({ jobs: ahead });
  }

  /** Drops the jobs stored ahead and never asked for from the step's outputs (the step stops before asking). */
  forgetAhead(): void {
    if (this.#ahead === null) return;
    this.#ahead = null;
    this.saveBehind();
  }

  /**
   * Reads what every move still has to move, all at once, before the first job starts; right
   * after planning, from the look the plan was made from (see `StepContext.plannedLook`).
   */
  async prepare(): Promise<void> {
    const moves = this.#ctx.step.params.moves;
    const look = this.#ctx.plannedLook;
    for (const move of moves) {
      const known = look ? remainingIn(look, move) : null;
      if (known) this.#remaining.set(keyOf(move), known);
      else this.#stale.add(keyOf(move));
    }
    await Promise.all(moves.map((move) => this.remainingOf(move)));
  }

  /** Whether every move's slots are known to be at their targets (by the slot maps or by jobs that succeeded). */
  knownDone(): boolean {
    return this.#ctx.step.params.moves.every((m) => !this.#stale.has(keyOf(m)) && this.#remaining.get(keyOf(m))?.length === 0);
  }

  /** Slots the moves still have to move, as last read or inferred from the jobs (no command). */
  slotsRemaining(): number {
    return this.#ctx.step.params.moves.reduce((n, m) => n + countSlots(this.#remaining.get(keyOf(m)) ?? m.slots), 0);
  }

  /** Reads every move's remaining slots again; true when none is left. */
  async confirm(): Promise<boolean> {
    const moves = this.#ctx.step.params.moves;
    for (const move of moves) this.#stale.add(keyOf(move));
    const left = await this.tolerate(() => Promise.all(moves.map((m) => this.remainingOf(m))));
    return left !== undefined && left.every((l) => l.length === 0);
  }

  /** The slots of `move` its target does not serve yet (read when stale); fails when the source does not serve them either. */
  async remainingOf(move: SlotMove): Promise<SlotRange[]> {
    const key = keyOf(move);
    if (!this.#stale.has(key) && this.#remaining.has(key)) return this.#remaining.get(key)!;
    const remaining = await this.readRemaining(move);
    this.#remaining.set(key, remaining);
    this.#stale.delete(key);
    return remaining;
  }

  async readRemaining(move: SlotMove): Promise<SlotRange[]> {
    const ends = await this.ends(move);
    const [target, source] = await Promise.all([readClusterView(ends.target), readClusterView(ends.source)]);
    return remainingBetween(move, source.nodes, target.nodes);
  }

  /** Asks each running job how it stands; records changes and their events. True when a job ended. */
  async refresh(): Promise<boolean> {
    let changed = false;
    let ended = false;
    for (const [i, job] of this.jobs.entries()) {
      if (isJobFinished(job.state)) continue;
      const seen = await this.tolerate(async () => {
        const ends = await this.ends(job);
        if (job.id !== null) return { id: job.id, status: await atomicJobStatus(this.#dialect, ends, job.id) };
        // Asked for, but the server's answer was never stored (the worker died in between).
        const found = await findAtomicJob(this.#dialect, ends, job, job.requestedAt);
        return found ?? { id: null, status: { state: 'missing', phase: 'missing', message: 'never started (the worker stopped before the server answered)', remainingBytes: null } as AtomicJobStatus };
      });
      if (!seen) continue;
      const { id, status } = seen;
      if (status.state === job.state && status.phase === job.phase && id === job.id) continue;
      // What reached the target is told while a job runs: at its end, `keys` says what it moved (all or, atomically, nothing).
      const { keysArrived: _arrived, ...rest } = job;
      const next: MigrationJob = { ...(isJobFinished(status.state) ? rest : job), id, state: status.state, phase: status.phase, message: status.message };
      this.jobs[i] = next;
      changed = true;
      if (isJobFinished(next.state)) {
        ended = true;
        const key = keyOf(next);
        // A job that succeeded handed all its slots over; any other end is read again from the slot map.
        if (next.state === 'succeeded') {
          this.#remaining.set(key, subtractRanges(this.#remaining.get(key) ?? [], next.slots));
        } else {
          this.#stale.add(key);
        }
        await this.announce(next);
      }
    }
    // A job's state is the servers' to tell: a resumed run asks them again, so this need not wait.
    if (changed) this.saveBehind();
    return ended;
  }

  /**
   * Starts a job for each move whose target still lacks slots and that has no job running;
   * true when it started any. A move out of attempts fails the step with the last job's message.
   */
  async startWhatRemains(): Promise<boolean> {
    const batch: JobToStart[] = [];
    // Nodes of the moves taken into this batch: on Redis 8 a node takes part in one job at a time.
    const taken = new Set<string>();
    for (const move of this.#ctx.step.params.moves) {
      if (this.#ctx.signal.aborted) break;
      const mine = this.jobs.filter((j) => j.from.id === move.from.id && j.to.id === move.to.id);
      if (mine.some((j) => !isJobFinished(j.state))) continue;
      if (this.#dialect === 'redis' && (this.busy(move) || taken.has(move.from.id) || taken.has(move.to.id))) continue;
      const remaining = await this.tolerate(() => this.remainingOf(move));
      if (remaining === undefined || remaining.length === 0) continue;
      const last = mine.at(-1);
      if (mine.length >= JOB_ATTEMPTS) {
        throw new StepFailure('atomic_migration_failed',
          `${mine.length} jobs moving slots from ${move.from.address} to ${move.to.address} ended without moving ${countSlots(remaining)} slots; the last ended ${last?.state}: ${last?.message || last?.phase || 'no message'}`,
          [{ address: move.from.address, reason: last?.message || `job ${last?.state}` }]);
      }
      batch.push({ move, slots: remaining, attempt: mine.length + 1, ...(last ? { previous: last } : {}) });
      taken.add(move.from.id);
      taken.add(move.to.id);
    }
    return batch.length > 0 && (await this.start(batch)) > 0;
  }

  /**
   * Starts a job for each entry, all together: every job is recorded (one write) before any is
   * asked for, then all are asked for at once, as an operator would type them into several
   * terminals (a rebalance of three sources into a new master started its jobs one after the
   * other before, a write and a count apart). Resolves with how many the servers took.
   */
  async start(batch: readonly JobToStart[]): Promise<number> {
    const prepared = await Promise.all(batch.map((entry) => this.tolerate(async () => {
      const ends = await this.ends(entry.move);
      // Redis 8 keeps a failed import task, which refuses a new import of the same slots
      // ("overlapping import exists"): it is cancelled first.
      if (this.#dialect === 'redis' && entry.previous?.id && entry.previous.state !== 'succeeded') {
        await cancelAtomicJob(this.#dialect, ends, entry.previous.id).catch(() => undefined);
      }
      // Counted while the job is being stored, and before it is asked for (see `countKeys`): a
      // short job hands its slots over, and its source drops their keys, within tens of milliseconds.
      const counting = this.#countedAhead.get(jobSlotsKey({ ...entry.move, slots: entry.slots })) ?? this.countKeys({ from: entry.move.from, slots: entry.slots });
      counting.catch(() => undefined);
      return { ...entry, ends, counting };
    })));
    const ahead = this.#ahead;
    this.#ahead = null;
    this.#countedAhead.clear();
    let storedAhead = 0;
    const recorded = prepared.flatMap((entry) => {
      if (!entry) return [];
      // The job stored ahead for this move, when its slots are indeed all still to move.
      const early = ahead?.find((j) => j.from.id === entry.move.from.id && j.to.id === entry.move.to.id && entry.attempt === 1
        && formatRanges(j.slots) === formatRanges(entry.slots));
      if (early) storedAhead++;
      const job: MigrationJob = early ?? {
        from: entry.move.from, to: entry.move.to, slots: entry.slots, slotCount: countSlots(entry.slots), id: null, requestedAt: Date.now(),
        state: 'starting', phase: 'starting', message: '', keys: 0, attempt: entry.attempt,
      };
      this.jobs.push(job);
      return [{ ...entry, job, index: this.jobs.length - 1 }];
    });
    if (recorded.length === 0) {
      if (ahead) this.saveBehind();
      return 0;
    }
    // Recorded before they are asked for: a resumed run looks for them instead of starting them again.
    if (storedAhead < recorded.length) await this.save();
    else if (ahead && ahead.length > recorded.length) this.saveBehind();
    const asked = await Promise.allSettled(recorded.map(({ ends, counting, job, index, move, attempt }) => this.tolerate(async () => {
      // The count went to the source before the ask, so it sees every key of the job's slots; the
      // ask need not wait for its answer (an estimate for progress and events).
      const { id, targetKeysBefore } = await startAtomicJob(this.#dialect, ends, job);
      const keys = await counting.catch((err: unknown) => {
        this.#ctx.log.warn('counting the keys of an atomic job failed', { error: String(err) });
        return 0;
      });
      this.jobs[index] = { ...job, id, keys, ...(targetKeysBefore === null ? {} : { targetKeysBefore }), state: 'running', phase: 'started' };
      this.#ctx.event('migration_job_started',
        `atomic job ${id.slice(0, 8)}: ${job.slotCount} slots (~${keys} keys) from ${move.from.address} to ${move.to.address}${attempt > 1 ? ` (attempt ${attempt})` : ''}`,
        { job: id, from: move.from.address, to: move.to.address, slots: formatRanges(job.slots), slotCount: job.slotCount, keys, attempt },
        [move.from.address, move.to.address]);
      return true;
    })));
    // Stored behind the run: until they are, a resumed run finds the jobs by their slots.
    this.saveBehind();
    const failed = asked.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return asked.filter((r) => r.status === 'fulfilled' && r.value === true).length;
  }

  /** Cancels every running job at both ends and waits until the servers report them finished. */
  async cancelAll(): Promise<void> {
    const running = this.running();
    if (running.length === 0) return;
    // Valkey cancels a source's jobs all at once: one call per source is enough.
    const seen = new Set<string>();
    for (const job of running) {
      const key = this.#dialect === 'valkey' ? job.from.id : (job.id ?? '');
      if (seen.has(key)) continue;
      seen.add(key);
      const ends = await this.ends(job);
      const id = job.id ?? (await findAtomicJob(this.#dialect, ends, job, job.requestedAt))?.id;
      if (id) await cancelAtomicJob(this.#dialect, ends, id);
    }
    const deadline = Date.now() + CANCEL_WAIT_MS;
    while (this.running().length > 0 && Date.now() < deadline) {
      await sleep(jobPollMs(0));
      await this.refresh();
    }
  }

  async announce(job: MigrationJob): Promise<void> {
    const type = job.state === 'succeeded' ? 'migration_job_succeeded' : job.state === 'cancelled' ? 'migration_job_cancelled' : 'migration_job_failed';
    const how = job.state === 'succeeded' ? 'done' : job.state === 'missing' ? 'lost' : job.state;
    this.#ctx.event(type,
      `atomic job ${(job.id ?? '?').slice(0, 8)} ${how}: ${job.slotCount} slots from ${job.from.address} to ${job.to.address}${job.message ? ` (${job.message})` : ''}`,
      { job: job.id, from: job.from.address, to: job.to.address, slots: formatRanges(job.slots), state: job.state, phase: job.phase, message: job.message },
      [job.from.address, job.to.address]);
  }

  /** Stores the jobs before going on. */
  save(): Promise<void> {
    return this.#ctx.saveOutputs({ jobs: this.jobs });
  }

  /** Records the jobs, stored behind the run (a failed write stops the run through its signal). */
  saveBehind(): void {
    this.#ctx.recordOutputs({ jobs: this.jobs });
  }
}

/** A job about to be started: its move, the slots it moves, which attempt it is, and the attempt before it. */
interface JobToStart {
  readonly move: SlotMove;
  readonly slots: MigrationJob['slots'];
  readonly attempt: number;
  readonly previous?: MigrationJob;
}

/** A move's (or a job's) key: its two ends. */
function keyOf(move: Pick<SlotMove, 'from' | 'to'>): string {
  return `${move.from.id} ${move.to.id}`;
}


/** A node's view of the cluster: its nodes with their roles and slots. */
type ViewNodes = readonly Pick<ObservedNode, 'id' | 'role' | 'slots'>[];

/** The slots master `id` serves in one node's view. */
function servedBy(nodes: ViewNodes, id: string): SlotRange[] {
  return nodes.filter((n) => n.role === 'master' && n.id === id).flatMap((n) => n.slots);
}

/**
 * The slots of `move` its target does not serve, in the source's and the target's views of the
 * slot map (sorted, merged ranges, worked out range by range: see `subtractRanges`); fails when
 * the source does not serve them either.
 */
function remainingBetween(move: SlotMove, source: ViewNodes, target: ViewNodes): SlotRange[] {
  const remaining = subtractRanges(move.slots, servedBy(target, move.to.id));
  const stray = subtractRanges(remaining, [...servedBy(source, move.from.id), ...servedBy(target, move.from.id)]);
  if (stray.length > 0) {
    const slots = rangesToSlots(stray);
    throw new StepFailure('slot_not_on_source', `slot(s) ${slots.slice(0, 10).join(', ')} are served neither by the source ${move.from.address} nor by the target ${move.to.address}`,
      [{ address: move.from.address, reason: `does not serve slot ${slots[0]}` }]);
  }
  return remaining;
}

/** {@link remainingBetween} in the two nodes' own views in `look`; null when it lacks one of them. */
function remainingIn(look: PlannedLook, move: SlotMove): SlotRange[] | null {
  const viewOf = (id: string): ViewNodes | null => look.views.find((v) => v.nodes.some((n) => n.myself && n.id === id))?.nodes ?? null;
  const source = viewOf(move.from.id);
  const target = viewOf(move.to.id);
  return source && target ? remainingBetween(move, source, target) : null;
}

/** A node that does not answer for now: connection refused or lost, or still loading its data. */
function isOutage(err: unknown): boolean {
  if (err instanceof DomainError && err.code === 'node_unreachable') return true;
  const message = err instanceof Error ? err.message : String(err);
  return /ECONNREFUSED|ECONNRESET|EPIPE|Connection is closed|Stream isn't writeable|LOADING|ETIMEDOUT|Command timed out/i.test(message);
}
