import type { AtomicJobInFlight } from '../domain/migrationJob.ts';
import type { AtomicDialect } from '../domain/serverCapabilities.ts';
import type { ClusterRecord, NodeAuth } from '../store/records.ts';
import type { Observation, ServiceDeps } from './deps.ts';

/** What this process last saw of a cluster: its record's nodes and credentials, and its masters that run atomic migration. */
interface LastSeen {
  readonly nodes: readonly string[];
  readonly auth: NodeAuth | null;
  /** Masters speaking atomic slot migration, by address, with their dialect (empty until a look said). */
  readonly atomic: ReadonlyMap<string, AtomicDialect>;
}

const lastSeenByService = new WeakMap<ServiceDeps, Map<string, LastSeen>>();

/** A look at a cluster's nodes started before its record was read (see {@link startEarlyLook}). */
export interface EarlyLook {
  /** The look, when `cluster` (its record as read meanwhile) names the nodes it asked with the same credentials; else null. */
  for(cluster: ClusterRecord): Promise<Observation> | null;
  /** The atomic jobs listed on the master at `address` in `dialect`, when they were asked for early; else null. */
  jobsAt(address: string, dialect: AtomicDialect): Promise<AtomicJobInFlight[]> | null;
}

/**
 * Starts the planning look at cluster `name` while its record is being read: the nodes and
 * credentials it had when this process last read it (see {@link rememberNodesOf}) are asked at
 * once, and {@link EarlyLook.for} hands the look over only when the record read meanwhile still
 * names exactly those nodes and credentials (otherwise the caller asks the nodes again). The
 * masters last seen running atomic slot migration are asked for their jobs with the look, on its
 * connections ({@link EarlyLook.jobsAt}; the caller uses a list only for a node the look finds a
 * master of that dialect; a list that failed there is asked for again). Both are read-only, so
 * what is not used costs the nodes a few commands and nothing else. Null when this process has
 * not read `name` yet. Why: the record's read (1.5-6 ms on the embedded database here), the look
 * (a round trip to every node, ~4 ms) and the job lists (another, 2.5-5.6 ms) went one after the
 * other before every reshard and rebalance; on connections of their own, the job lists still
 * waited 1.5-6 ms for a connect after a cluster's creation.
 */
export function startEarlyLook(deps: ServiceDeps, name: unknown): EarlyLook | null {
  const seen = typeof name === 'string' ? lastSeenByService.get(deps)?.get(name) : undefined;
  if (!seen) return null;
  const look = deps.observe(seen.nodes, seen.auth, seen.atomic.size > 0 ? { listJobsOn: seen.atomic } : {});
  // Awaited by the caller when used; what is not used must not fail the process.
  look.catch(() => undefined);
  return {
    for(cluster) {
      return namesTheSame(seen, cluster) ? look : null;
    },
    jobsAt(address, dialect) {
      if (seen.atomic.get(address) !== dialect) return null;
      // Listed with the look; a list that failed there is asked for again.
      return look.then((o) => o.listedJobs?.get(address) ?? deps.atomicJobsInFlight(address, seen.auth, dialect));
    },
  };
}

/** Remembers `cluster`'s nodes and credentials (its record as just read) for its next {@link startEarlyLook}. */
export function rememberNodesOf(deps: ServiceDeps, cluster: ClusterRecord): void {
  const seen = seenBy(deps);
  const before = seen.get(cluster.name);
  seen.set(cluster.name, { nodes: cluster.spec.nodes, auth: cluster.auth, atomic: before && namesTheSame(before, cluster) ? before.atomic : new Map() });
}

/** Whether `cluster`'s record names exactly the nodes and credentials `seen` has. */
function namesTheSame(seen: LastSeen, cluster: ClusterRecord): boolean {
  return JSON.stringify([seen.nodes, seen.auth]) === JSON.stringify([cluster.spec.nodes, cluster.auth]);
}

/**
 * Remembers which masters of cluster `name` run atomic slot migration, as a look (or a stored
 * observation) just said, for its next {@link startEarlyLook}; nothing when its record was not read.
 */
export function rememberAtomicMasters(deps: ServiceDeps, name: string, masters: readonly { address: string; dialect: AtomicDialect }[]): void {
  const seen = seenBy(deps);
  const before = seen.get(name);
  if (before) seen.set(name, { ...before, atomic: new Map(masters.map((m) => [m.address, m.dialect])) });
}

function seenBy(deps: ServiceDeps): Map<string, LastSeen> {
  let seen = lastSeenByService.get(deps);
  if (!seen) lastSeenByService.set(deps, (seen = new Map()));
  return seen;
}
