import { DomainError } from '../domain/errors.ts';
import type { ClusterSnapshot } from '../domain/clusterSnapshot.ts';
import type { AtomicJobInFlight } from '../domain/migrationJob.ts';
import { capabilitiesOf, type AtomicDialect } from '../domain/serverCapabilities.ts';
import { formatRanges } from '../redis/atomicMigration.ts';
import { operationActivity } from '../store/operations.ts';
import type { ClusterRecord } from '../store/records.ts';
import type { Observation, ServiceDeps } from './deps.ts';
import type { EarlyLook } from './earlyLook.ts';

/**
 * The atomic slot migration jobs the reached masters of a cluster run now (Valkey >= 9, Redis >=
 * 8.4; other nodes have none), whoever started them. While one runs, its target holds keys of
 * slots it does not serve yet and its slots are not open in `CLUSTER NODES`: neither is something
 * to repair. Read-only.
 */
export async function atomicJobsInFlight(deps: ServiceDeps, cluster: ClusterRecord, observation: Observation, early?: EarlyLook | null): Promise<AtomicJobInFlight[]> {
  const found = await Promise.all(atomicMastersOf(observation).map(({ address, dialect }) =>
    early?.jobsAt(address, dialect) ?? deps.atomicJobsInFlight(address, cluster.auth, dialect)));
  return found.flat();
}

/** The reached masters of `observation` that run atomic slot migration, with their dialect. */
export function atomicMastersOf(observation: Observation): { address: string; dialect: AtomicDialect }[] {
  return observation.reached.flatMap(({ address, nodeId }) => {
    if (observation.nodes.find((n) => n.id === nodeId)?.role !== 'master') return [];
    const server = observation.servers.get(nodeId);
    const dialect = server ? capabilitiesOf(server).atomicSlotMigration : null;
    return dialect ? [{ address, dialect }] : [];
  });
}

/** The reachable masters of a stored snapshot that run atomic slot migration, with their dialect (see {@link atomicMastersOf}). */
export function atomicMastersInSnapshot(snapshot: ClusterSnapshot): { address: string; dialect: AtomicDialect }[] {
  return snapshot.nodes.flatMap((n) => {
    const dialect = n.role === 'master' && n.reachable && n.stats ? capabilitiesOf(n.stats).atomicSlotMigration : null;
    return dialect ? [{ address: n.address, dialect }] : [];
  });
}

/**
 * Refuses (409 `atomic_migration_running`) to `action` (`fix`, `move slots`) while the masters of
 * the cluster run atomic slot migration jobs, whoever started them (by hand, or an operation that
 * was cancelled while the servers finish): such a job ends with its slots whole on one side, and
 * a change planned from the slot map meanwhile would race it (Redis runs one migration task per
 * node; a moved slot changes what a plan moves). With `queueBehind`, jobs of a cluster that has
 * an unfinished operation are taken for that operation's: the new one queues behind it.
 */
export async function refuseWhileAtomicJobsRun(deps: ServiceDeps, cluster: ClusterRecord, observation: Observation, action: string, opts: { queueBehind?: boolean; early?: EarlyLook | null } = {}): Promise<void> {
  const inFlight = await atomicJobsInFlight(deps, cluster, observation, opts.early);
  if (inFlight.length === 0) return;
  // Read only when jobs run: planning a move costs no database read for it otherwise.
  if (opts.queueBehind && (await operationActivity(deps.db, cluster.id, null)).current !== null) return;
  throw new DomainError('precondition', 'atomic_migration_running',
    `atomic slot migration is running on cluster "${cluster.name}" (${inFlight.slice(0, 5).map((j) => `${j.direction} ${formatRanges(j.slots)} on ${j.address}, ${j.phase}`).join('; ')}); ` +
    `it ends with every slot whole on one side: ${action} after it ends`);
}
