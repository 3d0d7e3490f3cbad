import type { ClusterCheckView } from '../contract/clusterView.ts';
import { checkCluster as judge } from '../domain/checkCluster.ts';
import { slotsToRanges } from '../domain/slotSet.ts';
import type { FunctionLibraries } from '../redis/functions.ts';
import { scanStrayKeys } from './strayKeys.ts';
import { atomicJobsInFlight } from './atomicJobsInFlight.ts';
import { requireRole } from './authorize.ts';
import { findCluster } from './clusters.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { findLeftSettings } from './leftSettings.ts';
import { HISTORY_DEPTH } from './fixCluster.ts';
import { listOperations } from '../store/operations.ts';

/**
 * Asks every node for its view and reports open slots, uncovered slots, nodes that disagree,
 * failed or disconnected nodes, masters without replicas, unreachable nodes, and masters whose
 * function libraries differ from the others' (FCALL would fail or differ on their slots), and keys
 * a master holds in slots it neither serves nor imports; lists the atomic migration jobs running
 * now (not open slots, and their target's keys are not stray), and settings that finished
 * operations left changed on nodes (a restoring step failed; see `findLeftSettings`). Read-only.
 */
export async function checkCluster(deps: ServiceDeps, caller: Caller, name: unknown): Promise<ClusterCheckView> {
  requireRole(caller, 'viewer');
  const cluster = await findCluster(deps, name);
  const checkedAt = deps.now().toISOString();
  const observation = await deps.observe(cluster.spec.nodes, cluster.auth);
  const judged = judge(observation.nodes, observation.views, observation.unreachable);
  const masters = observation.reached.filter((r) => observation.nodes.find((n) => n.id === r.nodeId)?.role === 'master');
  const functionDrift = functionDriftOf(await Promise.all(masters.map(async (m) => ({
    address: m.address, libraries: await deps.functionLibraries(m.address, cluster.auth),
  }))));
  const inFlight = await atomicJobsInFlight(deps, cluster, observation);
  const strayKeys = (await scanStrayKeys(deps, cluster, observation, masters, inFlight)).map((m) => ({
    address: m.address, slots: slotsToRanges(m.slots.map((s) => s.slot)), keys: m.slots.reduce((n, s) => n + s.keys, 0),
  }));
  const migrationsInFlight = inFlight.map((j) => ({ ...j, slots: j.slots.map((r) => [r[0], r[1]] as const) }));
  const recent = await listOperations(deps.db, { clusterName: cluster.name, pageSize: HISTORY_DEPTH });
  const settingsLeftChanged = await findLeftSettings(deps, cluster, observation, recent.items);
  return {
    cluster: cluster.name, checkedAt, ...judged,
    ok: judged.ok && functionDrift.length === 0 && strayKeys.length === 0 && settingsLeftChanged.length === 0,
    functionDrift, strayKeys, migrationsInFlight, settingsLeftChanged,
  };
}

/** The masters whose function libraries differ from those most masters hold. */
function functionDriftOf(masters: readonly { address: string; libraries: FunctionLibraries }[]): ClusterCheckView['functionDrift'] {
  const counts = new Map<string, number>();
  for (const m of masters) counts.set(m.libraries.digest, (counts.get(m.libraries.digest) ?? 0) + 1);
  const majority = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  return masters.filter((m) => m.libraries.digest !== majority).map((m) => ({ address: m.address, libraries: [...m.libraries.names] }));
}
