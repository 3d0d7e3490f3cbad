import { z } from 'zod';
import { withReplicaMoved } from '../domain/desiredTopology.ts';
import { DomainError } from '../domain/errors.ts';
import { planMoveReplica } from '../domain/planMoveReplica.ts';
import { requireRole } from './authorize.ts';
import { findCluster } from './clusters.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { REPLICA_SYNC_TIMEOUT_SECONDS } from '../domain/timeouts.ts';
import type { OperationView } from '../contract/operationView.ts';
import type { PlanView } from '../contract/planView.ts';
import { observeMembers, refOf, replicasOf, requireMember, requireNodeRole } from './observeMembers.ts';
import { unreachableError } from './observeForChange.ts';
import { parseInput } from './parseInput.ts';
import { submitTopologyChange } from './submitTopologyChange.ts';

const nodeRef = z.string().min(1).max(300);
const moveReplicaInput = z.strictObject({
  replica: nodeRef,
  master: nodeRef,
  force: z.boolean().optional(),
  dryRun: z.boolean().optional(),
});

/**
 * Makes a replica follow another master: `{replica, master, force?}`. Refuses a master as
 * `replica` (`not_a_replica`) and a replica as `master` (`not_a_master`), and a move that would
 * leave a master serving slots without its only working replica (`would_orphan_master`, 409)
 * unless `force`. Nodes the cluster agrees are dead (FAIL) do not stop the move; other nodes that
 * do not answer do (`nodes_unreachable`). A replica that already follows `master` gives an operation that changes nothing.
 */
export async function moveReplica(deps: ServiceDeps, caller: Caller, name: unknown, input: unknown): Promise<OperationView | PlanView> {
  requireRole(caller, 'operator');
  const req = parseInput(moveReplicaInput, input);
  const cluster = await findCluster(deps, name);
  const cm = await observeMembers(deps, cluster, { tolerateUnreachable: true });
  // Nodes the cluster agrees are dead (FAIL) need not see the move (they learn it by gossip if
  // they come back); any other node that does not answer stops it, as does either node involved.
  const dead = new Set(cm.members.filter((m) => !m.reachable && m.flags.includes('fail')).map((m) => m.address));
  const down = [...cm.observation.unreachable.filter((u) => !dead.has(u.address)),
    ...cm.members.filter((m) => !m.reachable && !dead.has(m.address) && !cm.observation.unreachable.some((u) => u.address === m.address))
      .map((m) => ({ address: m.address, reason: `not reachable (${m.flags.join(',') || 'known only through gossip'})` }))];
  if (down.length > 0) throw unreachableError(down);
  const replica = requireMember(req.replica, '/replica', cm);
  const master = requireMember(req.master, '/master', cm);
  requireNodeRole(replica, 'replica', '/replica', cm.members);
  requireNodeRole(master, 'master', '/master', cm.members);
  for (const [node, pointer] of [[replica, '/replica'], [master, '/master']] as const) {
    if (!node.reachable) throw new DomainError('precondition', 'nodes_unreachable', `${node.address} (${pointer.slice(1)}) does not answer; it cannot be moved or given a replica`);
  }

  const current = cm.members.find((m) => m.id === replica.masterId);
  const working = current ? replicasOf(current, cm.members).filter((r) => r.reachable && !r.flags.includes('fail')) : [];
  if (current && current.id !== master.id && current.slotCount > 0 && working.length === 1 && working[0]!.id === replica.id && req.force !== true) {
    throw new DomainError('precondition', 'would_orphan_master',
      `${replica.address} is the only replica of ${current.address}, which serves ${current.slotCount} slots; moving it leaves that master without a replica (send "force": true to move it anyway)`);
  }
  return submitTopologyChange(deps, caller, {
    cluster,
    plan: planMoveReplica({
      replica: refOf(replica), master: refOf(master), current: current && refOf(current),
      nodes: cm.members.filter((m) => !dead.has(m.address)).map((m) => m.address), awaitReady: dead.size === 0, timeoutSeconds: REPLICA_SYNC_TIMEOUT_SECONDS,
    }),
    spec: withReplicaMoved(cluster.spec, replica.address, master.address),
    refuseWhileBusy: false,
  }, req.dryRun ?? false);
}
