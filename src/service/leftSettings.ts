import { candidatesLeftChanged, settingsHistoryOf, stillLeft, type LeftSetting } from '../domain/leftSettings.ts';
import type { ClusterRecord, OperationRecord } from '../store/records.ts';
import type { Observation, ServiceDeps } from './deps.ts';

/**
 * The settings that finished operations of the cluster left changed on its nodes (a restoring
 * step failed) and that the nodes still run with, judged from `operations` (newest first, as the
 * store lists them) and asked of the reachable nodes the history names, for the settings it names
 * only (one `CONFIG GET` per such node; none when the history left nothing). An unreachable node
 * is not judged: the check lists it as unreachable.
 */
export async function findLeftSettings(deps: ServiceDeps, cluster: ClusterRecord, observation: Observation, operations: readonly OperationRecord[]): Promise<LeftSetting[]> {
  const candidates = candidatesLeftChanged(operations.map(settingsHistoryOf));
  if (candidates.length === 0) return [];
  const reached = new Set(observation.reached.map((r) => r.address));
  const names = new Map<string, Set<string>>();
  for (const c of candidates) if (reached.has(c.address)) names.set(c.address, (names.get(c.address) ?? new Set()).add(c.name));
  const values = new Map(await Promise.all([...names].map(async ([address, wanted]) =>
    [address, await deps.readConfig(address, cluster.auth, [...wanted])] as const)));
  return stillLeft(candidates, (address, name) => values.get(address)?.[name]);
}
