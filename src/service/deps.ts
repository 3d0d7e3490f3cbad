import type { ObservedNode } from '../domain/observedTopology.ts';
import type { AtomicDialect, ServerInfo } from '../domain/serverCapabilities.ts';
import type { AtomicJobInFlight } from '../domain/migrationJob.ts';
import type { FunctionLibraries } from '../redis/functions.ts';
import type { Database } from '../store/database.ts';
import type { ReadCache } from './readCache.ts';
import type { UNFINISHED } from './operationChanges.ts';
import type { RunReservation } from '../store/operations.ts';
import type { ClusterRecord, NodeAuth, OperationRecord } from '../store/records.ts';
import type { SlotRange } from '../domain/slotRange.ts';

/** What an operation was planned from: the cluster as read, and the look at its nodes. */
export interface PlannedFrom {
  readonly cluster: ClusterRecord;
  /**
   * The look, and the keys counted in the slots of the first atomic jobs while the operation was
   * being stored, by `jobSlotsKey` (see `countFirstJobKeys`).
   */
  readonly look: Observation & { readonly jobKeys?: ReadonlyMap<string, Promise<number>> };
}

/** What the nodes of a cluster report, read-only. */
export interface Observation {
  readonly nodes: ObservedNode[];
  readonly unreachable: { address: string; reason: string }[];
  /** For each address that answered: the id of the node behind it. */
  readonly reached: { address: string; nodeId: string }[];
  /** Each reachable node's own view of the cluster. */
  readonly views: { address: string; nodes: readonly ObservedNode[] }[];
  /** What each node that answered runs, by node id (for the choice of migration engine). */
  readonly servers: ReadonlyMap<string, ServerInfo>;
  /**
   * The atomic slot migration jobs listed with the look, by address, on the masters it was asked
   * to list them on (see `ServiceDeps.observe`); a node whose list failed is missing.
   */
  readonly listedJobs?: ReadonlyMap<string, AtomicJobInFlight[]>;
}

/** The small interfaces the use cases need; main.ts passes real ones, tests may pass their own. */
export interface ServiceDeps {
  readonly db: Database;
  /** The hot reads, kept a quarter of a second; every change made through this process clears it. */
  readonly reads: ReadCache;
  /**
   * Reads the topology from the nodes themselves (never changes them). `listJobsOn`: masters
   * (address to dialect) whose atomic migration jobs are listed too, on the look's connections
   * (`Observation.listedJobs`).
   */
  readonly observe: (addresses: readonly string[], auth: NodeAuth | null, opts?: { readonly listJobsOn?: ReadonlyMap<string, AtomicDialect> }) => Promise<Observation>;
  /** Checks design.md's readiness over these nodes once (read-only): ready, or each node's first problems. */
  readonly checkReady: (addresses: readonly string[], auth: NodeAuth | null) => Promise<{ ready: boolean; problems: { address: string; reason: string }[] }>;
  /** Counts the keys a node holds in the given slot ranges (read-only; for dry runs, and an atomic move's first jobs: see `countFirstJobKeys`). */
  readonly countKeys: (address: string, auth: NodeAuth | null, slots: readonly SlotRange[]) => Promise<number>;
  /** The atomic slot migration jobs a node runs now, in the dialect it speaks (read-only). */
  readonly atomicJobsInFlight: (address: string, auth: NodeAuth | null, dialect: AtomicDialect) => Promise<AtomicJobInFlight[]>;
  /** Some `CONFIG` parameters of a node, by name (read-only; names it does not know are absent). */
  readonly readConfig: (address: string, auth: NodeAuth | null, names: readonly string[]) => Promise<Record<string, string>>;
  /** The function libraries a node holds (read-only). */
  readonly functionLibraries: (address: string, auth: NodeAuth | null) => Promise<FunctionLibraries>;
  /** The keys a node holds in each of the given slots, in order, served by it or not (read-only). */
  readonly keysPerSlot: (address: string, auth: NodeAuth | null, slots: readonly number[]) => Promise<number[]>;
  /**
   * Empties and resets these nodes (`FLUSHALL` on masters, `CLUSTER RESET HARD` on all), in
   * parallel: destroys their data. Only a release with `reset` and `confirm` calls it. Resolves
   * with each node's error, or null when it was reset.
   */
  readonly wipeNodes: (addresses: readonly string[], auth: NodeAuth | null) => Promise<{ address: string; error: string | null }[]>;
  /** Observes a cluster now and stores the observation (what the observer does each interval). */
  readonly observeNow: (cluster: ClusterRecord) => Promise<void>;
  /**
   * Told of an operation just queued through this process: a worker in this process looks for
   * work at once instead of at its next poll, and reads of the operation (the long poll that
   * usually follows the 202) are answered from memory until it changes. `planned`: the cluster and
   * the look at its nodes the operation was planned from, which its first run may use while fresh.
   */
  readonly operationQueued: (op: OperationRecord, planned?: PlannedFrom, reservation?: RunReservation) => void;
  /**
   * A run of this process's worker for an operation it may insert already claimed, or null: only
   * on the embedded store, where this process is the database's only writer, so no other process
   * can queue an operation of the same cluster in between (see `insertPlannedOperation`), and only
   * while the worker has room. Absent where no worker runs in this process.
   */
  readonly reserveRun?: () => RunReservation | null;
  /** Tells a worker in this process that an operation it may be running was asked to cancel. */
  readonly notifyCancel: (operationId: string) => void;
  /**
   * Resolves when a worker in this process changes the operation, after `maxWaitMs` at most, or when
   * `signal` aborts: with the operation as stored when the change came with it (a claim, an end),
   * `UNFINISHED` for progress of a running one, else undefined. Changes made in other processes are
   * seen only by reading the operation again.
   */
  readonly nextChange: (operationId: string, maxWaitMs: number, signal?: AbortSignal) => Promise<OperationRecord | typeof UNFINISHED | undefined>;
  /**
   * Resolves when an event is appended anywhere (a NOTIFY from any process on this database),
   * after `maxWaitMs` at most, or when `signal` aborts; streams read the log again then.
   */
  readonly nextEvent: (maxWaitMs: number, signal?: AbortSignal) => Promise<void>;
  /** Tells this process's authenticator that a token was revoked (it drops its cache). */
  readonly tokenRevoked: () => void;
  readonly createReadyTimeoutSeconds: number;
  /** `WEBHOOK_ALLOWED_HOSTS`: the hosts webhooks may point at; null allows any. */
  readonly webhookAllowedHosts: readonly string[] | null;
  /** `SLOTSMITH_ADMIN_TOKEN` is set: an admin exists outside the database, so its last admin token may go. */
  readonly adminTokenFromEnv: boolean;
  readonly now: () => Date;
}

/** Who is calling, from the bearer token. */
export interface Caller {
  readonly tokenId: string;
  readonly name: string;
  readonly role: 'admin' | 'operator' | 'viewer';
  /**
   * Set when slotsmith itself asks, under a cluster's healing policy: why. Such a change waits for
   * no one: it is refused while any other operation of the cluster is pending.
   */
  readonly healing?: string;
}
