import { chooseMigration } from '../domain/chooseMigration.ts';
import { migrationField } from './moveSlots.ts';
import { z } from 'zod';
import { assignReplicaMasters, chooseReplicaMaster, type ReplicaMasterCandidate } from '../domain/chooseReplicaMaster.ts';
import { withNodeAdded, withNodeRemoved } from '../domain/desiredTopology.ts';
import { DomainError, invalidInput, type FieldError } from '../domain/errors.ts';
import { parseNodeAddress } from '../domain/nodeAddress.ts';
import { planAddNode } from '../domain/planAddNode.ts';
import { planDrain } from '../domain/planDrain.ts';
import { checkServingMasters } from '../domain/masterQuorum.ts';
import { planRemoveNode } from '../domain/planRemoveNode.ts';
import type { MasterLoad } from '../domain/slotMove.ts';
import { MIGRATE_TIMEOUT_MS, REPLICA_SYNC_TIMEOUT_SECONDS, TOPOLOGY_TIMEOUT_SECONDS } from '../domain/timeouts.ts';
import type { OperationView } from '../contract/operationView.ts';
import type { PlanView } from '../contract/planView.ts';
import { probeNode } from '../redis/probeNode.ts';
import { resolveHost } from '../redis/resolveHost.ts';
import type { ClusterRecord } from '../store/records.ts';
import { assertNoUnfinishedOperation, clusterOfNode } from '../store/topologyChanges.ts';
import { requireRole } from './authorize.ts';
import { findCluster } from './clusters.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import {
  observeMembers, refOf, replicasOf, requireMember, requireNodeRole, resolveForRemoval, resolveMember, type Member,
} from './observeMembers.ts';
import { refuseWhileAtomicJobsRun } from './atomicJobsInFlight.ts';
import { unreachableError } from './observeForChange.ts';
import { parseInput } from './parseInput.ts';
import { submitTopologyChange } from './submitTopologyChange.ts';

const nodeRef = z.string().min(1).max(300);
const queryFlag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

const addNodeInput = z.strictObject({
  address: z.string().min(1).max(300),
  role: z.enum(['master', 'replica']),
  master: nodeRef.optional(),
  dryRun: z.boolean().optional(),
});

/**
 * Adds a node to a cluster: `{address, role: "master"|"replica", master?}`. A replica without
 * `master` follows the master with the fewest replicas, on another host when there is one. The
 * node must be reachable, in cluster mode, empty, alone and Redis >= 7 (checked now and again by
 * the worker). An added master serves no slots: a rebalance with `useEmptyMasters` fills it.
 *
 * The node joins the desired topology (spec and node row) at request time, with the queued
 * operation; if the operation ends without the node having joined, its cleanup step takes it out
 * again. Refused while another operation of the cluster is pending (`cluster_busy`).
 */
export async function addNode(deps: ServiceDeps, caller: Caller, name: unknown, input: unknown): Promise<OperationView | PlanView> {
  requireRole(caller, 'operator');
  const req = parseInput(addNodeInput, input);
  const parsed = parseNodeAddress(req.address);
  const fields: FieldError[] = [];
  if (!parsed.ok) fields.push({ pointer: '/address', reason: parsed.reason });
  if (req.role === 'master' && req.master !== undefined) fields.push({ pointer: '/master', reason: 'only a replica follows a master; leave it out for role "master"' });
  if (fields.length > 0 || !parsed.ok) throw invalidInput(fields);
  const address = parsed.address;

  const cluster = await findCluster(deps, name);
  await assertNoUnfinishedOperation(deps.db, cluster);
  const owner = await clusterOfNode(deps.db, address);
  if (owner === cluster.name) throw nodeExists(address, cluster.name);
  if (owner !== null) throw new DomainError('conflict', 'node_in_use', `${address} already belongs to cluster "${owner}"`);
  const cm = await observeMembers(deps, cluster);
  if (resolveMember(address, cm).ok) throw nodeExists(address, cluster.name);

  let master: Member | undefined;
  if (req.role === 'replica') {
    if (req.master !== undefined) {
      master = requireMember(req.master, '/master', cm);
      requireNodeRole(master, 'master', '/master', cm.members);
    } else {
      const host = await resolveHost(parsed.host).catch((err: unknown) => {
        throw invalidInput([{ pointer: '/address', reason: (err as Error).message }], 'unresolvable_host');
      });
      const id = chooseReplicaMaster(candidatesOf(cm.members), host);
      master = cm.members.find((m) => m.id === id);
    }
  }

  const probe = await probeNode(address, cluster.auth ?? undefined);
  if (!probe.ok) {
    throw new DomainError('precondition', 'node_not_fit', `${address} cannot join cluster "${cluster.name}": ${probe.problems.join('; ')}`);
  }
  if (req.role === 'master') await requireSameFunctions(deps, cluster, address, cm.members.filter((m) => m.role === 'master' && m.reachable));
  const plan = planAddNode({
    address,
    nodeId: probe.nodeId ?? undefined,
    role: req.role,
    master: master && refOf(master),
    masterChosen: req.role === 'replica' && req.master === undefined,
    members: cm.members.map(refOf),
    timeoutSeconds: master ? REPLICA_SYNC_TIMEOUT_SECONDS : TOPOLOGY_TIMEOUT_SECONDS,
    masterAuth: cluster.auth?.password !== undefined,
  });
  const spec = master
    ? withNodeAdded(cluster.spec, { address, role: 'replica', master: master.address })
    : withNodeAdded(cluster.spec, { address, role: 'master' });
  return submitTopologyChange(deps, caller, { cluster, plan, spec, refuseWhileBusy: true }, req.dryRun ?? false);
}

const removeNodeInput = z.strictObject({
  dryRun: queryFlag.optional(),
  force: queryFlag.optional(),
  allowFewerThanThreeMasters: queryFlag.optional(),
  migrateTimeoutMs: z.coerce.number().int('must be an integer').min(MIGRATE_TIMEOUT_MS.min, `must be at least ${MIGRATE_TIMEOUT_MS.min}`).max(MIGRATE_TIMEOUT_MS.max, `must be at most ${MIGRATE_TIMEOUT_MS.max}`).optional(),
  migration: migrationField,
});

/**
 * Removes a node (`node`: its id, its address in the spec, or the `ip:port` it announces; `input`:
 * `{dryRun?, force?}`, also as query text). A master is drained first (its slots move with their
 * keys to the other masters that serve slots, evening them out) and its replicas follow other
 * masters (fewest replicas, host anti-affinity); then every other node forgets it and it is reset
 * (`CLUSTER RESET HARD`). A replica is just forgotten and reset.
 *
 * A dead node, in any form the cluster holds it (unreachable, flagged failed, known only by an old
 * id after its address came back as a new node, or `noaddr`), is only forgotten by every live
 * node and leaves the spec. A dead master that still serves slots is refused (`node_unreachable`,
 * naming a failover to its replica) unless `force`: then its slots are left without a master (its
 * keys are gone with it) and `fix` assigns them to the others. Removing the last master is
 * refused (`last_master`, 409), as is one that leaves fewer than 3 masters serving slots
 * (`too_few_masters`) unless `allowFewerThanThreeMasters`, and any removal while another
 * operation of the cluster is pending (`cluster_busy`) or another node is unreachable (it could
 * not forget this one), unless this one is dead and the others that are unreachable are FAIL too.
 */
export async function removeNode(deps: ServiceDeps, caller: Caller, name: unknown, node: unknown, input: unknown): Promise<OperationView | PlanView> {
  requireRole(caller, 'operator');
  const req = parseInput(removeNodeInput, input ?? {});
  if (typeof node !== 'string' || node.length === 0 || node.length > 300) {
    throw invalidInput([{ pointer: '/node', reason: 'must be a node id or host:port' }]);
  }
  const cluster = await findCluster(deps, name);
  await assertNoUnfinishedOperation(deps.db, cluster);
  const cm = await observeMembers(deps, cluster, { tolerateUnreachable: true });
  const found = resolveForRemoval(node, cm);
  if (!found.ok) throw new DomainError('not_found', 'node_not_found', `cluster "${cluster.name}" has no such node: ${found.reason}`);
  const target = found.member;
  // Every other node must forget it, or the one left out gossips it back in. A dead node being
  // forgotten is the exception: other nodes the cluster agrees are FAIL need not forget it (they
  // are dead too, and forgotten in turn); gossip of a dead node only starts handshakes that fail.
  const alsoDead = new Set(target.reachable ? [] : cm.members.filter((m) => m.id !== target.id && !m.reachable && m.flags.includes('fail')).map((m) => m.address));
  const others = [
    ...cm.observation.unreachable.filter((u) => u.address !== target.address && !alsoDead.has(u.address)),
    ...cm.members.filter((m) => m.id !== target.id && !m.reachable && !alsoDead.has(m.address) && !cm.observation.unreachable.some((u) => u.address === m.address))
      .map((m) => ({ address: m.address, reason: `not reachable (${m.flags.join(',') || 'known only through gossip'})` })),
  ];
  if (others.length > 0) throw unreachableError(others);
  if (found.pending) {
    // In the desired topology but never joined (its add was cancelled before it ran): no member
    // knows it, so it only leaves the desired topology; the node itself is not touched.
    return submitTopologyChange(deps, caller, {
      cluster,
      plan: planRemoveNode({
        node: { ...refOf(target), role: target.role }, drain: [], masters: [], replicas: [],
        remaining: cm.members.map((m) => m.address), reset: false, neverJoined: true, timeoutSeconds: TOPOLOGY_TIMEOUT_SECONDS,
      }),
      spec: withNodeRemoved(cluster.spec, target.address),
      refuseWhileBusy: true,
    }, req.dryRun ?? false);
  }

  const masters = cm.members.filter((m) => m.role === 'master');
  if (target.role === 'master' && masters.length === 1) {
    throw new DomainError('precondition', 'last_master', `${target.address} is the last master of cluster "${cluster.name}"; a cluster needs at least one`);
  }
  const abandon = !target.reachable && target.slotCount > 0;
  if (abandon && req.force !== true) {
    const replicas = replicasOf(target, cm.members).filter((r) => r.reachable);
    throw new DomainError('precondition', 'node_unreachable', replicas.length > 0
      ? `${target.address} is unreachable and serves ${target.slotCount} slots, which cannot be moved without it; fail over to its replica ${replicas[0]!.address} first (POST /v1/clusters/${cluster.name}/failover with mode "force", or "takeover" when no majority of masters answers)`
      : `${target.address} is unreachable and serves ${target.slotCount} slots that no replica holds; removing it with force=true gives up its keys: its slots are left without a master, and POST /v1/clusters/${cluster.name}/fix then assigns them to the other masters`);
  }
  const serving = masters.filter((m) => m.slotCount > 0).length;
  const quorumNote = checkServingMasters(serving, serving - (target.role === 'master' && target.slotCount > 0 ? 1 : 0), req.allowFewerThanThreeMasters === true);

  const loads: MasterLoad[] = masters.map((m) => ({ id: m.id, address: m.address, slots: m.slots }));
  // A dead master's slots cannot move (its keys are gone with it): they are abandoned, or it has none.
  const drain = target.role === 'master' && target.reachable ? planDrain(loads, target.id) : [];
  if (drain.length > 0) await refuseWhileAtomicJobsRun(deps, cluster, cm.observation, 'remove a master that serves slots');
  const receiving = new Set(drain.map((m) => m.to.id));
  const candidates = candidatesOf(cm.members.filter((m) => m.id !== target.id && m.reachable), receiving);
  const orphans = target.role === 'master' ? replicasOf(target, cm.members) : [];
  const pairs = assignReplicaMasters(orphans.map((r) => ({ id: r.id, host: r.host })), candidates).map(({ replica, master }) => ({
    replica: cm.members.find((m) => m.id === replica)!.address,
    replicaId: replica,
    master: refOf(cm.members.find((m) => m.id === master)!),
  }));
  const remaining = cm.members.filter((m) => m.id !== target.id && !alsoDead.has(m.address)).map((m) => m.address);
  const plan = planRemoveNode({
    node: { ...refOf(target), role: target.role },
    drain,
    masters: masters.map(refOf),
    replicas: pairs,
    remaining,
    reset: target.reachable,
    abandonSlots: abandon ? target.slotCount : 0,
    // With other dead nodes still known, the cluster cannot be ready yet: wait only for the forget.
    awaitReady: alsoDead.size === 0,
    note: quorumNote,
    migrateTimeoutMs: req.migrateTimeoutMs,
    engine: chooseMigration(req.migration ?? 'auto', drain, (id) => cm.observation.servers.get(id) ?? null),
    timeoutSeconds: pairs.length > 0 ? REPLICA_SYNC_TIMEOUT_SECONDS : TOPOLOGY_TIMEOUT_SECONDS,
  });
  return submitTopologyChange(deps, caller, {
    cluster,
    plan,
    spec: withNodeRemoved(cluster.spec, target.address, pairs.map((p) => ({ replica: p.replica, master: p.master.address }))),
    refuseWhileBusy: true,
  }, req.dryRun ?? false);
}

/**
 * A new master that already holds function libraries must hold the cluster's (those of most of
 * its masters): it will serve slots, and FCALL must answer the same there. One with none is given
 * them by the add (`copy_functions`). Refuses `node_not_fit` naming both sets.
 */
async function requireSameFunctions(deps: ServiceDeps, cluster: ClusterRecord, address: string, masters: readonly Member[]): Promise<void> {
  const mine = await deps.functionLibraries(address, cluster.auth);
  if (mine.names.length === 0 || masters.length === 0) return;
  const theirs = await Promise.all(masters.map((m) => deps.functionLibraries(m.address, cluster.auth)));
  const counts = new Map<string, number>();
  for (const t of theirs) counts.set(t.digest, (counts.get(t.digest) ?? 0) + 1);
  const [digest] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
  if (mine.digest === digest) return;
  const cluster_ = theirs.find((t) => t.digest === digest)!;
  throw new DomainError('precondition', 'node_not_fit',
    `${address} cannot join cluster "${cluster.name}" as a master: it holds the function libraries ${mine.names.join(', ')}, which differ from the cluster's (${cluster_.names.join(', ') || 'none'}); delete them on it (FUNCTION FLUSH) and it gets the cluster's`);
}

/** Masters as replica placement sees them; `receiving` marks empty masters that a drain will fill. */
function candidatesOf(members: readonly Member[], receiving: ReadonlySet<string> = new Set()): ReplicaMasterCandidate[] {
  return members.filter((m) => m.role === 'master').map((m) => ({
    id: m.id,
    host: m.host,
    replicaHosts: replicasOf(m, members).map((r) => r.host),
    servesSlots: m.slotCount > 0 || receiving.has(m.id),
  }));
}

function nodeExists(address: string, cluster: string): DomainError {
  return new DomainError('conflict', 'node_exists', `${address} is already part of cluster "${cluster}"`);
}
