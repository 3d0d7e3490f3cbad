import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import type { AtomicJobInFlight } from '../domain/migrationJob.ts';
import type { NodeRef } from '../domain/nodeRef.ts';
import type { AtomicDialect } from '../domain/serverCapabilities.ts';
import type { SlotRange } from '../domain/slotRange.ts';
import { addressOf } from './clientAddress.ts';
import { countKeysInSlots } from './countKeysInSlots.ts';
import { settlePipeline } from './settlePipeline.ts';

/**
 * One atomic slot migration job as the servers run it: the slots of one source going to one
 * target. Valkey names the job on the source (`CLUSTER MIGRATESLOTS` answers only OK, the name
 * appears in `CLUSTER GETSLOTMIGRATIONS`); Redis returns a task id from `CLUSTER MIGRATION IMPORT`
 * on the target, the same id on both ends.
 */
export interface AtomicJobSpec {
  readonly from: NodeRef;
  readonly to: NodeRef;
  readonly slots: readonly SlotRange[];
}

/** How a job stands, in the servers' words mapped to ours. */
export interface AtomicJobStatus {
  /** `running` until the server reaches a terminal state; `missing`: the server does not know the job (restarted). */
  readonly state: 'running' | 'succeeded' | 'failed' | 'cancelled' | 'missing';
  /** The server's own state name, e.g. `snapshotting`, `send-bulk-and-stream`, `success`, `completed`. */
  readonly phase: string;
  /** The server's message or last error ('' when none). */
  readonly message: string;
  /** Valkey's `remaining_repl_size` (bytes of the stream not yet sent); null where the server does not say. */
  readonly remainingBytes: number | null;
}

/** A job a node lists, of either direction. */
export interface ListedJob extends AtomicJobStatus {
  readonly id: string;
  /** `export` on the source, `import` on the target. */
  readonly direction: 'export' | 'import';
  /** Its slot ranges as the server prints them (`0-99 200-299`). */
  readonly slots: string;
  /** The node id at the other end. */
  readonly peer: string;
  /** When the server created it, in ms since the epoch (Valkey says seconds). */
  readonly createdAtMs: number;
}

/** The clients of a job's two ends. */
export interface JobEnds {
  readonly source: Redis;
  readonly target: Redis;
}

/** `0-99 200-299`, as both servers print a job's slot ranges. */
export function formatRanges(slots: readonly SlotRange[]): string {
  return slots.map(([a, b]) => `${a}-${b}`).join(' ');
}

/**
 * Starts one job and answers its id (and, on Redis, the target's key count just before: see
 * {@link keysArrived}):
 * - Valkey: `CLUSTER MIGRATESLOTS SLOTSRANGE a b [a b ...] NODE <target-id>` on the source, then
 *   the newest matching export of `CLUSTER GETSLOTMIGRATIONS` gives the name;
 * - Redis: `INFO keyspace` and `CLUSTER MIGRATION IMPORT a b [a b ...]` on the target, in one
 *   round trip; the import answers the task id.
 * Throws a DomainError `atomic_migration_refused` with the server's message when it refuses.
 */
export async function startAtomicJob(dialect: AtomicDialect, ends: JobEnds, job: AtomicJobSpec): Promise<{ id: string; targetKeysBefore: number | null }> {
  const flat = job.slots.flatMap(([a, b]) => [a, b]);
  const startedAt = Date.now();
  try {
    if (dialect === 'redis') {
      const [info, imported] = await settlePipeline(ends.target.pipeline().info('keyspace').call('CLUSTER', 'MIGRATION', 'IMPORT', ...flat));
      if (!imported || imported[0]) throw imported?.[0] ?? new Error('no answer to CLUSTER MIGRATION IMPORT');
      const [id, keyspace] = [imported[1], info?.[0] ? null : info?.[1]];
      return { id: String(id), targetKeysBefore: typeof keyspace === 'string' ? keysIn(keyspace) : null };
    }
    await ends.source.call('CLUSTER', 'MIGRATESLOTS', 'SLOTSRANGE', ...flat, 'NODE', job.to.id);
  } catch (err) {
    const at = dialect === 'redis' ? ends.target : ends.source;
    throw new DomainError('precondition', 'atomic_migration_refused',
      `${addressOf(at)} refused to migrate slots ${formatRanges(job.slots)} from ${job.from.address} to ${job.to.address}: ${(err as Error).message}`, [], { cause: err });
  }
  const found = await findAtomicJob(dialect, ends, job, startedAt - 2000);
  if (!found) throw new DomainError('unavailable', 'atomic_job_lost', `${job.from.address} accepted the migration of ${formatRanges(job.slots)} but does not list it`);
  return { id: found.id, targetKeysBefore: null };
}

/**
 * The keys of a running job's slots that reached its target so far (read-only; an estimate for
 * progress, which callers keep within the job's own count), null where it cannot be told:
 * - Redis 8: the target's key count (`INFO keyspace`, O(1)) minus `targetKeysBefore`, its count
 *   when the job was asked for (see {@link startAtomicJob}): imported keys count there as they
 *   arrive, though `CLUSTER COUNTKEYSINSLOT` shows them only after the handoff. Clients writing to
 *   the target meanwhile skew it. Null without the count from before.
 * - Valkey 9: the target's keys in the job's slots (`countKeysInSlots`, one short script: 4-9 ms
 *   of the target's thread per 2730 slots): Valkey counts imported keys per slot as they arrive,
 *   but leaves them out of `INFO keyspace` until the handoff.
 * Measured here moving 5001 slots holding ~183,000 keys on both servers.
 */
export async function keysArrived(dialect: AtomicDialect, target: Redis, job: { readonly slots: readonly SlotRange[]; readonly targetKeysBefore?: number | null }): Promise<number | null> {
  if (dialect === 'valkey') return countKeysInSlots(target, job.slots);
  if (job.targetKeysBefore === undefined || job.targetKeysBefore === null) return null;
  return keysIn(await target.info('keyspace')) - job.targetKeysBefore;
}

/** The keys of every database in an `INFO keyspace` reply (`db0:keys=12,expires=0,...`). */
function keysIn(keyspace: string): number {
  let keys = 0;
  for (const match of keyspace.matchAll(/^db\d+:keys=(\d+)/gm)) keys += Number(match[1]);
  return keys;
}

/**
 * Finds a job this engine started for `job` at or after `since` (ms since the epoch) whose id was
 * not stored (the worker died between starting it and saving the id): the newest job with the same
 * slot ranges between the same nodes. Null when there is none.
 */
export async function findAtomicJob(dialect: AtomicDialect, ends: JobEnds, job: AtomicJobSpec, since: number): Promise<{ id: string; status: AtomicJobStatus } | null> {
  const ranges = formatRanges(job.slots);
  const listed = await trackedJobs(dialect, ends);
  const peer = dialect === 'redis' ? job.from.id : job.to.id;
  // Valkey counts whole seconds: a job created in the same second as `since` must still match.
  const match = listed
    .filter((j) => j.slots === ranges && j.peer === peer && j.createdAtMs >= since - 1000)
    .sort((a, b) => b.createdAtMs - a.createdAtMs)[0];
  return match ? { id: match.id, status: match } : null;
}

/**
 * How the job with `id` stands (Valkey: on the source; Redis: on the target, whose state decides
 * the handoff). `missing` when the node no longer lists it: both servers keep the job log in
 * memory only, so a restarted node has forgotten it.
 */
export async function atomicJobStatus(dialect: AtomicDialect, ends: JobEnds, id: string): Promise<AtomicJobStatus> {
  const listed = await trackedJobs(dialect, ends);
  return listed.find((j) => j.id === id) ?? { state: 'missing', phase: 'missing', message: 'the node no longer lists this job (restarted?)', remainingBytes: null };
}

/**
 * Cancels a running job at both ends. Valkey 9.1 cancels every export of the source at once
 * (`CLUSTER CANCELSLOTMIGRATIONS`, no per-job form; 9.1 rejects the `ALL` its help shows), which
 * is safe because one operation at a time moves a cluster's slots. Redis cancels by task id, on
 * the target and on the source (`CLUSTER MIGRATION CANCEL ID id`). A node that has nothing to
 * cancel is not an error.
 */
export async function cancelAtomicJob(dialect: AtomicDialect, ends: JobEnds, id: string): Promise<void> {
  if (dialect === 'valkey') {
    await ends.source.call('CLUSTER', 'CANCELSLOTMIGRATIONS').catch((err: Error) => {
      if (!/no migrations ongoing/i.test(err.message)) throw err;
    });
    return;
  }
  await Promise.all([ends.target, ends.source].map((c) => c.call('CLUSTER', 'MIGRATION', 'CANCEL', 'ID', id)));
}

/**
 * The jobs the node behind `client` runs now (not ended), exports and imports, in the dialect it
 * speaks. Read-only.
 */
export async function jobsInFlight(dialect: AtomicDialect, client: Redis, address: string): Promise<AtomicJobInFlight[]> {
  return (await listAtomicJobs(dialect, client)).filter((j) => j.state === 'running').map((j) => ({
    address, id: j.id, direction: j.direction, slots: parseRanges(j.slots), peer: j.peer, phase: j.phase,
  }));
}

/** `0-99 200-299` (or a lone `5`) back into ranges. */
function parseRanges(text: string): SlotRange[] {
  return text.split(/\s+/).filter(Boolean).map((part) => {
    const [a, b] = part.split('-').map(Number);
    return [a!, b ?? a!] as const;
  });
}

/**
 * The jobs of a move as the end that decides them lists them: Valkey's exports on the source,
 * Redis's imports on the target.
 */
async function trackedJobs(dialect: AtomicDialect, ends: JobEnds): Promise<ListedJob[]> {
  const listed = await listAtomicJobs(dialect, dialect === 'redis' ? ends.target : ends.source);
  return listed.filter((j) => j.direction === (dialect === 'redis' ? 'import' : 'export'));
}

/** Where each dialect puts a job's fields, and how it names its states. */
const DIALECT_FIELDS = {
  /** `CLUSTER GETSLOTMIGRATIONS` (Valkey >= 9.0); create_time in s. Terminal: success, failed, cancelled. */
  valkey: {
    command: ['CLUSTER', 'GETSLOTMIGRATIONS'], id: 'name', slots: 'slot_ranges', source: 'source_node', target: 'target_node',
    exportOperation: 'EXPORT', message: 'message', createdMsPerUnit: 1000, succeeded: ['success'], cancelled: ['cancelled'],
  },
  /** `CLUSTER MIGRATION STATUS ALL` (Redis >= 8.4); create_time in ms. Terminal: completed, failed, canceled. */
  redis: {
    command: ['CLUSTER', 'MIGRATION', 'STATUS', 'ALL'], id: 'id', slots: 'slots', source: 'source', target: 'dest',
    exportOperation: 'migrate', message: 'last_error', createdMsPerUnit: 1, succeeded: ['completed', 'done'], cancelled: ['canceled'],
  },
} as const;

/**
 * Every job the node behind `client` lists, ended or not, both directions: an array of
 * field/value lists in the dialect's names (see {@link DIALECT_FIELDS}). Read-only.
 */
export async function listAtomicJobs(dialect: AtomicDialect, client: Redis): Promise<ListedJob[]> {
  const f = DIALECT_FIELDS[dialect];
  const [command, ...args] = f.command;
  return entries(await client.call(command, ...args)).map((e) => {
    const phase = e.get('state') ?? 'unknown';
    const direction = e.get('operation') === f.exportOperation ? 'export' : 'import';
    return {
      id: e.get(f.id) ?? '',
      direction,
      slots: e.get(f.slots) ?? '',
      peer: e.get(direction === 'export' ? f.target : f.source) ?? '',
      createdAtMs: Number(e.get('create_time') ?? 0) * f.createdMsPerUnit,
      state: (f.succeeded as readonly string[]).includes(phase) ? 'succeeded' : phase === 'failed' ? 'failed' : (f.cancelled as readonly string[]).includes(phase) ? 'cancelled' : 'running',
      phase,
      message: e.get(f.message) ?? '',
      remainingBytes: e.has('remaining_repl_size') ? Number(e.get('remaining_repl_size')) : null,
    };
  });
}

/** A reply that is a list of flat field/value lists, as maps (values as strings). */
function entries(reply: unknown): Map<string, string>[] {
  if (!Array.isArray(reply)) return [];
  return reply.filter(Array.isArray).map((flat: unknown[]) => {
    const map = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) map.set(String(flat[i]), Array.isArray(flat[i + 1]) ? (flat[i + 1] as unknown[]).join(' ') : String(flat[i + 1] ?? ''));
    return map;
  });
}
