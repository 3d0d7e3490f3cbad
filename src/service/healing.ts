import { decideHealing, type HealingAction } from '../domain/decideHealing.ts';
import { DomainError } from '../domain/errors.ts';
import { healingEnabled, type HealingPolicy } from '../domain/healingPolicy.ts';
import { setClusterHealing } from '../store/clusters.ts';
import { appendEvent } from '../store/events.ts';
import { getObservation } from '../store/observations.ts';
import { operationActivity } from '../store/operations.ts';
import type { ClusterRecord } from '../store/records.ts';
import { requireRole } from './authorize.ts';
import { findCluster } from './clusters.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { failover } from './failover.ts';
import { removeNode } from './nodes.ts';
import { healingInput, toHealingPolicy } from './healingInput.ts';
import { parseInput } from './parseInput.ts';
import { moveReplica } from './replicas.ts';

/**
 * Replaces a cluster's healing policy (`PUT /v1/clusters/{name}/healing`): `{replicaMigration?,
 * failover?: {afterSeconds, takeover?}, forgetAfterSeconds?}`; what is left out is off, so `{}`
 * turns healing off. Idempotent. Answers the policy now in force.
 */
export async function setHealing(deps: ServiceDeps, caller: Caller, name: unknown, input: unknown): Promise<HealingPolicy> {
  requireRole(caller, 'operator');
  const policy = toHealingPolicy(parseInput(healingInput, input));
  const cluster = await findCluster(deps, name);
  const updated = await setClusterHealing(deps.db, cluster.id, policy);
  deps.reads.clear();
  return updated.healing;
}

/** Decides and asks for the repairs of each cluster after the observer looked at it; keeps what it already reported. */
export interface Healer {
  /**
   * Looks at the cluster's latest observation and, when its policy asks for a repair and no
   * operation of the cluster is queued or running, queues that repair as a normal operation
   * (requested by `healer`, its first event saying why). A repair the service refuses (no
   * majority for a FORCE failover, say) is reported once as a `healing_refused` event, not at
   * every look; a repair still wanted after it ran is asked for again after 30 s, then 60 s, ...
   * up to every ten minutes. Resolves with the queued operation's id, or null.
   */
  heal(cluster: ClusterRecord): Promise<string | null>;
}

/** The same repair is not asked for again sooner than this after it was queued (doubling per repeat, up to ten minutes). */
export const HEALING_RETRY_MS = 30_000;
const HEALING_RETRY_CAP_MS = 10 * 60_000;

export function createHealer(deps: ServiceDeps): Healer {
  /** Per cluster: the refusal last reported, so it is reported once. */
  const reported = new Map<string, string>();
  /** Per cluster: the repair last queued, how often in a row, and when; a repair that did not help is not repeated at every look. */
  const queued = new Map<string, { key: string; count: number; at: number }>();
  return {
    async heal(cluster) {
      if (!healingEnabled(cluster.healing) || cluster.phase !== 'ready') return null;
      if ((await operationActivity(deps.db, cluster.id, null)).current) return null;
      const observation = await getObservation(deps.db, cluster.id);
      if (!observation) return null;
      const action = decideHealing(cluster.healing, observation.snapshot, observation.health, deps.now());
      if (!action) {
        reported.delete(cluster.id);
        queued.delete(cluster.id);
        return null;
      }
      const key = `${action.kind}:${'replica' in action ? action.replica : action.node}`;
      const last = queued.get(cluster.id);
      const now = deps.now().getTime();
      if (last?.key === key && now - last.at < Math.min(HEALING_RETRY_CAP_MS, HEALING_RETRY_MS * 2 ** (last.count - 1))) return null;
      try {
        const op = await submit(deps, cluster, action);
        reported.delete(cluster.id);
        queued.set(cluster.id, { key, count: last?.key === key ? last.count + 1 : 1, at: now });
        return op;
      } catch (err) {
        if (!(err instanceof DomainError) || err.code === 'cluster_busy' || err.code === 'concurrent_change') return null;
        if (reported.get(cluster.id) === `${key}:${err.code}`) return null;
        reported.set(cluster.id, `${key}:${err.code}`);
        await appendEvent(deps.db, {
          clusterName: cluster.name, type: 'healing_refused',
          message: `${cluster.name}: healing wanted to ${describe(action)} but it was refused (${err.code}): ${err.message}`,
          data: { action: action.kind, code: err.code, reason: action.reason },
          nodes: 'replica' in action ? [action.replica] : [action.node],
        });
        return null;
      }
    },
  };
}

async function submit(deps: ServiceDeps, cluster: ClusterRecord, action: HealingAction): Promise<string> {
  const caller: Caller = { tokenId: 'healer', name: 'healer', role: 'operator', healing: action.reason };
  const result = action.kind === 'failover'
    ? await failover(deps, caller, cluster.name, { replica: action.replica, mode: action.mode })
    : action.kind === 'forget'
      ? await removeNode(deps, caller, cluster.name, action.node, {})
      : await moveReplica(deps, caller, cluster.name, { replica: action.replica, master: action.master });
  if (!('id' in result)) throw new Error('a healing change answered a plan');
  return result.id;
}

function describe(action: HealingAction): string {
  switch (action.kind) {
    case 'failover': return `fail ${action.master} over to ${action.replica} (${action.mode})`;
    case 'forget': return `forget ${action.node}`;
    case 'replica_migration': return `move replica ${action.replica} to ${action.master}`;
  }
}
