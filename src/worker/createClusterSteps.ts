import { describeServer } from '../domain/serverCapabilities.ts';
import { DomainError } from '../domain/errors.ts';
import { parseNodeAddress } from '../domain/nodeAddress.ts';
import { addSlotsRange } from '../redis/addSlotsRange.ts';
import { readFunctionLibraries } from '../redis/functions.ts';
import { meetAll } from '../redis/meetAll.ts';
import { myNodeId } from '../redis/myNodeId.ts';
import { observeCluster } from '../redis/observeCluster.ts';
import { probeNode } from '../redis/probeNode.ts';
import { waitForReadiness } from '../redis/readiness.ts';
import { resolveHost } from '../redis/resolveHost.ts';
import { setConfigEpoch } from '../redis/setConfigEpoch.ts';
import { sleep } from '../redis/sleep.ts';
import { attachReplica } from './attachReplica.ts';
import { explainNotReady, listProblems } from '../redis/explainNotReady.ts';
import type { ExecutorsOf, StepContext, StepExecutor } from './stepContext.ts';
import { StepFailure } from './stepFailure.ts';

const checkNodes: StepExecutor<'check_nodes'> = async (ctx) => {
  const { nodes } = ctx.step.params;
  const results = await Promise.all(nodes.map((a) => probeNode(a, ctx.cluster.auth ?? undefined)));
  const unfit = results.filter((r) => !r.ok).map((r) => ({ address: r.address, reason: r.problems.join('; ') }));
  if (unfit.length > 0) {
    const list = unfit.map((u) => `${u.address} (${u.reason})`).join(', ');
    throw new StepFailure('nodes_not_fit', `${unfit.length} of ${nodes.length} nodes cannot join a new cluster, nothing was changed: ${list}`, unfit);
  }
  // Every master will serve slots: FCALL must find the same functions on each.
  const libraries = await Promise.all(nodes.map(async (a) => ({ address: a, libraries: await readFunctionLibraries(await ctx.connections.get(a)) })));
  if (new Set(libraries.map((l) => l.libraries.digest)).size > 1) {
    const differing = libraries.map((l) => ({ address: l.address, reason: `function libraries: ${l.libraries.names.join(', ') || 'none'}` }));
    throw new StepFailure('nodes_not_fit', `the nodes hold different function libraries, so FCALL would answer differently by slot; nothing was changed: ${differing.map((d) => `${d.address} (${d.reason})`).join(', ')}`, differing);
  }
  // Which servers, and whether they mix: a mixed cluster loses atomic slot migration where any end lacks it.
  const servers = [...new Set(results.map((r) => (r.server ? describeServer(r.server) : 'unknown server')))];
  return { detail: `${nodes.length} nodes are empty, in cluster mode, ${servers.join(', ')}${servers.length > 1 ? ' (mixed versions)' : ''}` };
};

const setConfigEpochs: StepExecutor<'set_config_epochs'> = async (ctx) => {
  const { epochs } = ctx.step.params;
  const clients = await ctx.connections.getAll(Object.keys(epochs));
  const changed = await Promise.all(Object.entries(epochs).map(([a, e]) => setConfigEpoch(clients.get(a)!, e)));
  return { detail: `${changed.filter(Boolean).length} nodes given a config epoch` };
};

const assignSlots: StepExecutor<'assign_slots'> = async (ctx) => {
  const { assignments } = ctx.step.params;
  const clients = await ctx.connections.getAll(assignments.map((a) => a.node));
  await Promise.all(assignments.map((a) => addSlotsRange(clients.get(a.node)!, a.slots)));
  return { detail: assignments.map((a) => `${a.node}: ${a.slots.map(([s, e]) => `${s}-${e}`).join(',')}`).join('; ') };
};

const meetNodes: StepExecutor<'meet_nodes'> = async (ctx) => {
  const { nodes } = ctx.step.params;
  const clients = await ctx.connections.getAll(nodes);
  const ips = new Map<string, string>();
  // CLUSTER MEET takes an IP, never a host name.
  await Promise.all(nodes.map(async (a) => {
    const parsed = parseNodeAddress(a);
    if (!parsed.ok) throw new StepFailure('bad_address', `${a}: ${parsed.reason}`);
    try {
      ips.set(a, await resolveHost(parsed.host));
    } catch (err) {
      throw new StepFailure('unresolvable_host', `cannot resolve ${parsed.host}: ${(err as Error).message}`, [{ address: a, reason: 'host name does not resolve' }], { cause: err });
    }
  }));
  await meetAll(clients, ips);
  return { detail: `${nodes.length} nodes met` };
};

const assignReplicas: StepExecutor<'assign_replicas'> = async (ctx) => {
  const pairs = ctx.step.params.replicas;
  const masters = [...new Set(pairs.map((p) => p.master)), ...ctx.cluster.spec.shards.map((s) => s.master)];
  const all = [...new Set([...masters, ...pairs.map((p) => p.replica)])];
  const clients = await ctx.connections.getAll(all);
  const ids = Object.fromEntries(await Promise.all(all.map(async (a) => [a, await myNodeId(clients.get(a)!)] as const)));
  await ctx.recordNodeIds(ids);
  await Promise.all(pairs.map(async ({ replica, master }) => {
    try {
      await attachReplica(clients.get(replica)!, { id: ids[master]!, address: master }, ctx.signal);
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== 'master_not_known') throw err;
      throw new StepFailure('replica_cannot_see_master', `${replica} ${err.message}`, [{ address: replica, reason: `does not know ${master}` }], { cause: err });
    }
  }));
  return { detail: pairs.length === 0 ? 'no replicas planned' : `${pairs.length} replicas attached` };
};

const waitReady: StepExecutor<'wait_ready'> = async (ctx) => {
  const { timeoutSeconds } = ctx.step.params;
  const clients = await ctx.connections.getAll(ctx.cluster.spec.nodes);
  const started = Date.now();
  const result = await waitForReadiness(clients, { timeoutMs: timeoutSeconds * 1000, signal: ctx.signal });
  if (!result.ready) {
    const nodes = await explainNotReady(ctx.connections, result.problems);
    throw new StepFailure('not_ready', `the cluster did not become ready within ${timeoutSeconds} s; not ready: ${listProblems(nodes)}`, nodes);
  }
  await rolesEverywhere(ctx, started + timeoutSeconds * 1000);
  return { detail: `ready after ${((Date.now() - started) / 1000).toFixed(2)} s` };
};

/** Pause between two looks while a node's view of the others' roles catches up. */
const ROLES_POLL_MS = 50;

/**
 * A short node timeout makes a spurious failover possible while the cluster forms: every node must
 * have its planned role (by its own word), else the step fails at once. Then waits, until
 * `deadline`, for every node to see every other in its planned role: readiness compares the
 * masters that serve slots, and a node that has not yet heard a new replica's ping still lists it
 * as a master without slots (after the create, with the node timeout restored, for up to half of
 * it: 7.5 s by default).
 */
async function rolesEverywhere(ctx: StepContext, deadline: number): Promise<void> {
  for (;;) {
    const { nodes, reached, unreachable, views } = await observeCluster(ctx.cluster.spec.nodes, ctx.cluster.auth ?? undefined);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const idOf = new Map(reached.map((r) => [r.address, r.nodeId]));
    const nodeAt = (address: string) => byId.get(idOf.get(address) ?? '');
    const mismatches: { address: string; reason: string }[] = [...unreachable];
    for (const shard of ctx.cluster.spec.shards) {
      const m = nodeAt(shard.master);
      if (m?.role !== 'master') mismatches.push({ address: shard.master, reason: `planned as master, observed as ${m?.role ?? 'missing'}` });
      for (const r of shard.replicas) {
        const rep = nodeAt(r);
        if (rep?.role !== 'replica' || rep.masterId !== idOf.get(shard.master)) {
          mismatches.push({ address: r, reason: `planned as replica of ${shard.master}, observed as ${rep?.role ?? 'missing'}` });
        }
      }
    }
    if (mismatches.length > 0) {
      throw new StepFailure('topology_mismatch', `the nodes do not have the planned roles: ${mismatches.map((m) => `${m.address} (${m.reason})`).join(', ')}`, mismatches);
    }
    const behind = views.flatMap(({ address, nodes: seen }) => ctx.cluster.spec.shards.flatMap((shard) => shard.replicas.flatMap((r) => {
      const other = seen.find((n) => n.id === idOf.get(r));
      return other && (other.role !== 'replica' || other.masterId !== idOf.get(shard.master)) ? [{ address, reason: `still sees ${r} as ${other.role === 'master' ? 'a master' : `a replica of ${other.masterId}`}` }] : [];
    })));
    if (behind.length === 0) return;
    if (Date.now() >= deadline) {
      throw new StepFailure('not_ready', `not every node sees the planned roles yet: ${behind.slice(0, 10).map((b) => `${b.address} (${b.reason})`).join(', ')}`, behind);
    }
    await sleep(ROLES_POLL_MS, ctx.signal);
  }
}

/** The executors of the steps only a create runs (its settings are tuned and restored by `configExecutors`). */
export const createClusterExecutors: ExecutorsOf<'check_nodes' | 'set_config_epochs' | 'assign_slots' | 'meet_nodes' | 'assign_replicas' | 'wait_ready'> = {
  check_nodes: checkNodes,
  set_config_epochs: setConfigEpochs,
  assign_slots: assignSlots,
  meet_nodes: meetNodes,
  assign_replicas: assignReplicas,
  wait_ready: waitReady,
};
