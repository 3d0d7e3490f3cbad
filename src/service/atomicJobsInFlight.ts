import type { AtomicJobInFlight } from '../domain/migrationJob.ts';
import { capabilitiesOf } from '../domain/serverCapabilities.ts';
import type { ClusterRecord } from '../store/records.ts';
import type { Observation, ServiceDeps } from './deps.ts';

/**
 * The atomic slot migration jobs the reached masters of a cluster run now (Valkey >= 9, Redis >=
 * 8.4; other nodes have none), whoever started them. While one runs, its target holds keys of
 * slots it does not serve yet and its slots are not open in `CLUSTER NODES`: neither is something
 * to repair. Read-only.
 */
export async function atomicJobsInFlight(deps: ServiceDeps, cluster: ClusterRecord, observation: Observation): Promise<AtomicJobInFlight[]> {
  const masters = observation.reached.filter((r) => observation.nodes.find((n) => n.id === r.nodeId)?.role === 'master');
  const found = await Promise.all(masters.map(async ({ address, nodeId }) => {
    const server = observation.servers.get(nodeId);
    const dialect = server ? capabilitiesOf(server).atomicSlotMigration : null;
    return dialect ? deps.atomicJobsInFlight(address, cluster.auth, dialect) : [];
  }));
  return found.flat();
}
