import { z } from 'zod';
import { withFailover } from '../domain/desiredTopology.ts';
import { DomainError } from '../domain/errors.ts';
import { planFailover } from '../domain/planFailover.ts';
import { requireRole } from './authorize.ts';
import { findCluster } from './clusters.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { TOPOLOGY_TIMEOUT_SECONDS } from '../domain/timeouts.ts';
import type { OperationView } from '../contract/operationView.ts';
import type { PlanView } from '../contract/planView.ts';
import { observeMembers, refOf, replicasOf, requireMember, requireNodeRole, type Member } from './observeMembers.ts';
import { unreachableError } from './observeForChange.ts';
import { parseInput } from './parseInput.ts';
import { submitTopologyChange } from './submitTopologyChange.ts';

const failoverInput = z.strictObject({
  replica: z.string().min(1).max(300),
  mode: z.enum(['default', 'force', 'takeover']).optional(),
  dryRun: z.boolean().optional(),
});

/**
 * Promotes a replica: `{replica, mode?}` runs `CLUSTER FAILOVER [FORCE|TAKEOVER]` on it (default
 * mode: coordinated with its master, no write is lost). The operation succeeds only once every
 * node sees the replica as master and the old master and the other replicas as its replicas.
 * `force` and `takeover` are for a master that is down: they accept unreachable nodes other than
 * the replica, and then wait only for the roles on the nodes that answer. A master as `replica`
 * is refused (`not_a_replica`).
 */
export async function failover(deps: ServiceDeps, caller: Caller, name: unknown, input: unknown): Promise<OperationView | PlanView> {
  requireRole(caller, 'operator');
  const req = parseInput(failoverInput, input);
  const mode = req.mode ?? 'default';
  const cluster = await findCluster(deps, name);
  const cm = await observeMembers(deps, cluster, { tolerateUnreachable: mode !== 'default' });
  const replica = requireMember(req.replica, '/replica', cm);
  requireNodeRole(replica, 'replica', '/replica', cm.members);
  if (!replica.reachable) throw unreachableError(cm.observation.unreachable.filter((u) => u.address === replica.address));
  const master = cm.members.find((m) => m.id === replica.masterId);
  if (!master) {
    throw new DomainError('precondition', 'master_unknown', `${replica.address} replicates ${replica.masterId ?? 'nothing'}, which no node knows`);
  }
  if (mode === 'force') requireVoteMajority(cm.members, replica.address);
  const reachable = cm.members.filter((m) => m.reachable);
  const ready = reachable.length === cm.members.length && cm.observation.unreachable.length === 0;
  return submitTopologyChange(deps, caller, {
    cluster,
    plan: planFailover({
      replica: refOf(replica),
      master: refOf(master),
      siblings: replicasOf(master, cm.members).filter((r) => r.id !== replica.id).map(refOf),
      mode,
      nodes: reachable.map((m) => m.address),
      ready,
      timeoutSeconds: TOPOLOGY_TIMEOUT_SECONDS,
    }),
    spec: withFailover(cluster.spec, replica.address, master.address),
    refuseWhileBusy: false,
  }, req.dryRun ?? false);
}

/**
 * A FORCE failover skips the handshake with the old master but still needs the votes of a majority
 * of the masters that serve slots (Redis Cluster specification, "Replica election and
 * promotion"); without them it never happens. Refuses it up front (`no_majority`), counting the
 * masters that answer and that no node flags as failed, and names TAKEOVER, which needs no vote.
 */
function requireVoteMajority(members: readonly Member[], replica: string): void {
  const voters = members.filter((m) => m.role === 'master' && m.slotCount > 0);
  const up = voters.filter((m) => m.reachable && !m.flags.includes('fail'));
  const needed = Math.floor(voters.length / 2) + 1;
  if (up.length >= needed) return;
  const down = voters.filter((m) => !up.includes(m)).map((m) => m.address);
  throw new DomainError('precondition', 'no_majority',
    `a FORCE failover of ${replica} needs the votes of ${needed} of the ${voters.length} masters that serve slots, and only ${up.length} answer (${down.join(', ')} do not): no majority can authorise it. Mode "takeover" promotes the replica without a vote (its epoch wins by itself; writes the old master takes after it comes back are lost)`);
}
