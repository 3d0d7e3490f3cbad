import { z } from 'zod';
import { DomainError, invalidInput } from '../domain/errors.ts';
import { deleteCluster as deleteClusterRecords } from '../store/clusters.ts';
import { assertNoUnfinishedOperation } from '../store/topologyChanges.ts';
import { requireRole } from './authorize.ts';
import { findCluster } from './clusters.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { observeMembers } from './observeMembers.ts';
import { unreachableError } from './observeForChange.ts';
import { parseInput } from './parseInput.ts';

const releaseInput = z.strictObject({
  reset: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).optional(),
  confirm: z.string().max(63).optional(),
});

/**
 * Stops managing a cluster (`DELETE /v1/clusters/{name}`): deletes every record slotsmith keeps
 * of it (desired topology, nodes, operations, observations and events) and logs
 * `cluster_released`. Nothing on any node changes; the nodes keep running as a cluster and can be
 * adopted again. With `reset=true` and `confirm=<name>` every node of the cluster is also wiped:
 * masters are emptied (`FLUSHALL`) and every node is reset (`CLUSTER RESET HARD`), which destroys
 * all data; every node must answer first (a dead one is removed first), and when a node fails
 * to reset, the records are kept so the same call can be sent again. Refused (`409
 * cluster_busy`) while one of its operations is queued or running.
 */
export async function releaseCluster(deps: ServiceDeps, caller: Caller, name: unknown, query: unknown = {}): Promise<void> {
  requireRole(caller, 'operator');
  const req = parseInput(releaseInput, query ?? {});
  const cluster = await findCluster(deps, name);
  if (req.reset === true && req.confirm !== cluster.name) {
    throw invalidInput([{ pointer: '/confirm', reason: `must repeat the cluster's name ("${cluster.name}") to reset its nodes: this deletes all their data` }]);
  }
  await assertNoUnfinishedOperation(deps.db, cluster);
  let wiped: string[] = [];
  if (req.reset === true) {
    const cm = await observeMembers(deps, cluster, { tolerateUnreachable: true });
    const down = [...cm.observation.unreachable, ...cm.members.filter((m) => !m.reachable && !cm.observation.unreachable.some((u) => u.address === m.address))
      .map((m) => ({ address: m.address, reason: `not reachable (${m.flags.join(',') || 'known only through gossip'})` }))];
    if (down.length > 0) throw unreachableError(down, 'reset the nodes');
    wiped = cm.members.map((m) => m.address);
    const failed = (await deps.wipeNodes(wiped, cluster.auth)).filter((r) => r.error !== null);
    if (failed.length > 0) {
      throw new DomainError('unavailable', 'reset_failed', `these nodes were not reset, so cluster "${cluster.name}" is still managed (send the same request again): ${failed.map((f) => `${f.address} (${f.error})`).join(', ')}`);
    }
  }
  await deleteClusterRecords(deps.db, cluster, {
    type: 'cluster_released',
    message: `${cluster.name}: released by ${caller.name}${wiped.length > 0 ? `; its ${wiped.length} nodes were emptied and reset` : '; nothing on the nodes was changed'}`,
    data: { reset: wiped.length > 0, nodes: wiped.length > 0 ? wiped : [...cluster.spec.nodes] },
  });
}
