import type { AtomicDialect } from './serverCapabilities.ts';
import type { NodeRef } from './nodeRef.ts';
import { healthyReplicaOf, type ObservedNode } from './observedTopology.ts';
import type { SlotMove } from './slotMove.ts';
import { countSlots, formatRanges, type SlotRange } from './slotRange.ts';
import { rangesToSlots, slotsToRanges } from './slotSet.ts';

/**
 * Where an atomic migration job stands, as the worker last saw it. `planned`: stored with the
 * operation's plan and not asked for by its first run yet; `starting`: stored, being asked for.
 * A resumed run looks for both on the servers (the ask may have been lost in a crash).
 */
export type MigrationJobState = 'planned' | 'starting' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'missing';

/**
 * One atomic slot migration job of an operation, as the `move_slots` step records it (its
 * outputs), so that a resumed run adopts the jobs the servers still run instead of starting them
 * twice. Written before the job is asked for (`starting`, `id` null, `requestedAt`), again with the
 * server's id once it answered, and on every change of state.
 */
export interface MigrationJob {
  readonly from: NodeRef;
  readonly to: NodeRef;
  readonly slots: readonly SlotRange[];
  readonly slotCount: number;
  /** The server's id: Valkey's job name, Redis's task id; null until the server answered. */
  readonly id: string | null;
  /** When slotsmith asked for it, in ms since the epoch (to find it by its slots if `id` was never stored). */
  readonly requestedAt: number;
  readonly state: MigrationJobState;
  /** The server's own state name (`snapshotting`, `send-bulk-and-stream`, `success`, ...). */
  readonly phase: string;
  /** The server's message or last error ('' when none). */
  readonly message: string;
  /** Keys its slots held on the source when it started (an estimate of what it moves). */
  readonly keys: number;
  /**
   * While it runs: the keys of its slots that reached the target so far, as last read (an estimate,
   * at most `keys`; see the redis layer's `keysArrived`); absent until read, and once it ended.
   */
  readonly keysArrived?: number;
  /** Redis: the target's key count just before the job was asked for, which `keysArrived` counts from. */
  readonly targetKeysBefore?: number | null;
  /** 1 for the first job of a move, 2+ for retries of what an earlier job did not move. */
  readonly attempt: number;
}

/**
 * A job's move and exactly its slots, as one string (`from to ranges`): how keys counted for a job
 * before it is asked for are found again.
 */
export function jobSlotsKey(job: Pick<MigrationJob, 'from' | 'to' | 'slots'>): string {
  return `${job.from.id} ${job.to.id} ${formatRanges(job.slots)}`;
}

/**
 * A job's keys counted with `count` (the keys the node at an address holds in the job's slots) on
 * the first replica of its source that `nodes` show linked and healthy (`healthyReplicaOf`), else
 * on the source; a replica that cannot answer hands the count to the source. The count holds a
 * node's thread (4-9 ms for 2730 slots): on the source it delayed the job's start, and the replica
 * holds the same keys until the job hands the slots over. Planning and the run count this way.
 */
export function countNearSource(nodes: readonly ObservedNode[], job: Pick<MigrationJob, 'from' | 'slots'>, count: (address: string) => Promise<number>): Promise<number> {
  const onSource = () => count(job.from.address);
  const replica = healthyReplicaOf(nodes, job.from.id);
  return replica ? count(replica.address).catch(onSource) : onSource();
}

/** Terminal states: the job no longer runs on the servers. */
export function isJobFinished(state: MigrationJobState): boolean {
  return state !== 'planned' && state !== 'starting' && state !== 'running';
}

/**
 * The jobs the first batch of an atomic `move_slots` step asks for, all slots of each move still
 * to move (as in a fresh plan), `planned`, at `requestedAt` (ms since the epoch). The first batch
 * is every move on Valkey, and on Redis the moves in order whose nodes no earlier move of the batch
 * takes (Redis runs one migration task per node at a time).
 *
 * @example plannedJobs(moves, 'redis', Date.now()).map((j) => j.slotCount) // [2730]
 */
export function plannedJobs(moves: readonly SlotMove[], dialect: AtomicDialect, requestedAt: number): MigrationJob[] {
  const taken = new Set<string>();
  const jobs: MigrationJob[] = [];
  for (const move of moves) {
    if (dialect === 'redis' && (taken.has(move.from.id) || taken.has(move.to.id))) continue;
    taken.add(move.from.id);
    taken.add(move.to.id);
    const slots = slotsToRanges(rangesToSlots(move.slots));
    jobs.push({
      from: move.from, to: move.to, slots, slotCount: countSlots(slots), id: null, requestedAt,
      state: 'planned', phase: 'planned', message: '', keys: 0, attempt: 1,
    });
  }
  return jobs;
}

/** An atomic migration job a node runs now, whoever started it (as `check` reports it). */
export interface AtomicJobInFlight {
  /** The node that lists it. */
  readonly address: string;
  readonly id: string;
  /** `export` on the source, `import` on the target. */
  readonly direction: 'export' | 'import';
  readonly slots: readonly SlotRange[];
  /** The node id at the other end. */
  readonly peer: string;
  /** The server's own state name. */
  readonly phase: string;
}
