import { parseNodeAddress } from '../domain/nodeAddress.ts';
import type { StepKind } from '../domain/operation.ts';
import type { SlotRange } from '../domain/slotRange.ts';
import { addSlotsRange } from '../redis/addSlotsRange.ts';
import { meetAll } from '../redis/meetAll.ts';
import { myNodeId } from '../redis/myNodeId.ts';
import { observeCluster } from '../redis/observeCluster.ts';
import { probeNode } from '../redis/probeNode.ts';
import { waitForReadiness } from '../redis/readiness.ts';
import { replicate } from '../redis/replicate.ts';
import { waitUntilKnows } from '../redis/waitUntilKnows.ts';
import { resolveHost } from '../redis/resolveHost.ts';
import { setConfigEpoch } from '../redis/setConfigEpoch.ts';
import { applyTunables, readTunables } from '../redis/tunables.ts';
import type { StepContext, StepExecutor } from './stepContext.ts';
import { StepFailure } from './stepFailure.ts';

type Tunables = Record<string, string>;

/** How long a replica may take to learn its master's id through gossip before the step fails. */
const KNOW_MASTER_TIMEOUT_MS = 30_000;

function paramList<T>(ctx: StepContext, name: string): T[] {
  return (ctx.step.params[name] ?? []) as T[];
}

const checkNodes: StepExecutor = async (ctx) => {
  const nodes = paramList<string>(ctx, 'nodes');
  const results = await Promise.all(nodes.map((a) => probeNode(a, ctx.cluster.auth ?? undefined)));
  const unfit = results.filter((r) => !r.ok).map((r) => ({ address: r.address, reason: r.problems.join('; ') }));
  if (unfit.length > 0) {
    const list = unfit.map((u) => `${u.address} (${u.reason})`).join(', ');
    throw new StepFailure('nodes_not_fit', `${unfit.length} of ${nodes.length} nodes cannot join a new cluster, nothing was changed: ${list}`, unfit);
  }
  const versions = [...new Set(results.map((r) => r.redisVersion))].join(', ');
  return { detail: `${nodes.length} nodes are empty, in cluster mode, Redis ${versions}` };
};

const tuneNodes: StepExecutor = async (ctx) => {
  const nodes = paramList<string>(ctx, 'nodes');
  const settings = ctx.step.params.settings as Tunables;
  // The originals are saved before anything changes, and a resumed run reuses them, so a crash
  // between "set" and "save" can never make the tuned values look like the user's own.
  let originals = ctx.step.outputs?.originals as Record<string, Tunables> | undefined;
  const clients = await ctx.connections.getAll(nodes);
  if (!originals) {
    const read = await Promise.all(nodes.map(async (a) => [a, await readTunables(clients.get(a)!)] as const));
    originals = Object.fromEntries(read);
    await ctx.saveOutputs({ originals });
  }
  await Promise.all(nodes.map((a) => applyTunables(clients.get(a)!, settings)));
  return { detail: Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(', ') + ` on ${nodes.length} nodes` };
};

const setConfigEpochs: StepExecutor = async (ctx) => {
  const epochs = ctx.step.params.epochs as Record<string, number>;
  const clients = await ctx.connections.getAll(Object.keys(epochs));
  const changed = await Promise.all(Object.entries(epochs).map(([a, e]) => setConfigEpoch(clients.get(a)!, e)));
  return { detail: `${changed.filter(Boolean).length} nodes given a config epoch` };
};

const assignSlots: StepExecutor = async (ctx) => {
  const assignments = paramList<{ node: string; slots: SlotRange[] }>(ctx, 'assignments');
  const clients = await ctx.connections.getAll(assignments.map((a) => a.node));
  await Promise.all(assignments.map((a) => addSlotsRange(clients.get(a.node)!, a.slots)));
  return { detail: assignments.map((a) => `${a.node}: ${a.slots.map(([s, e]) => `${s}-${e}`).join(',')}`).join('; ') };
};

const meetNodes: StepExecutor = async (ctx) => {
  const nodes = paramList<string>(ctx, 'nodes');
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

const assignReplicas: StepExecutor = async (ctx) => {
  const pairs = paramList<{ replica: string; master: string }>(ctx, 'replicas');
  const masters = [...new Set(pairs.map((p) => p.master)), ...ctx.cluster.spec.shards.map((s) => s.master)];
  const all = [...new Set([...masters, ...pairs.map((p) => p.replica)])];
  const clients = await ctx.connections.getAll(all);
  const ids = Object.fromEntries(await Promise.all(all.map(async (a) => [a, await myNodeId(clients.get(a)!)] as const)));
  await ctx.recordNodeIds(ids);
  await Promise.all(pairs.map(async ({ replica, master }) => {
    const client = clients.get(replica)!;
    const masterId = ids[master]!;
    try {
      await waitUntilKnows(client, [masterId], { timeoutMs: KNOW_MASTER_TIMEOUT_MS, signal: ctx.signal });
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      throw new StepFailure('replica_cannot_see_master', `${replica} did not learn about its master ${master} within ${KNOW_MASTER_TIMEOUT_MS / 1000} s`,
        [{ address: replica, reason: `does not know ${master}` }], { cause: err });
    }
    await replicate(client, masterId);
  }));
  return { detail: pairs.length === 0 ? 'no replicas planned' : `${pairs.length} replicas attached` };
};

const waitReady: StepExecutor = async (ctx) => {
  const timeoutSeconds = Number(ctx.step.params.timeoutSeconds);
  const clients = await ctx.connections.getAll(ctx.cluster.spec.nodes);
  const started = Date.now();
  const result = await waitForReadiness(clients, { timeoutMs: timeoutSeconds * 1000, signal: ctx.signal });
  if (!result.ready) {
    const names = [...new Set(result.problems.map((p) => p.address))];
    throw new StepFailure('not_ready', `the cluster did not become ready within ${timeoutSeconds} s; not converged: ${result.problems.map((p) => `${p.address} (${p.reason})`).join(', ')}`,
      names.map((address) => ({ address, reason: result.problems.filter((p) => p.address === address).map((p) => p.reason).join('; ') })));
  }
  await verifyRoles(ctx);
  return { detail: `ready after ${((Date.now() - started) / 1000).toFixed(2)} s` };
};

/** A short node timeout makes a spurious failover possible while the cluster forms: check the roles are the planned ones. */
async function verifyRoles(ctx: StepContext): Promise<void> {
  const { nodes, reached, unreachable } = await observeCluster(ctx.cluster.spec.nodes, ctx.cluster.auth ?? undefined);
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
}

const restoreConfig: StepExecutor = async (ctx) => {
  const tune = ctx.steps.find((s) => s.kind === 'tune_nodes');
  const originals = tune?.outputs?.originals as Record<string, Tunables> | undefined;
  if (!originals) return { detail: 'nothing was changed, nothing to restore' };
  // Every node is tried even if one fails, so one unreachable node does not leave the others tuned.
  const results = await Promise.allSettled(Object.entries(originals).map(async ([a, values]) => {
    await applyTunables(await ctx.connections.get(a), values);
  }));
  const failed = Object.keys(originals).flatMap((address, i) => {
    const r = results[i];
    return r?.status === 'rejected' ? [{ address, reason: String((r.reason as Error)?.message ?? r.reason) }] : [];
  });
  if (failed.length > 0) {
    throw new StepFailure('restore_failed', `could not restore the configuration of ${failed.map((f) => `${f.address} (${f.reason})`).join(', ')}`, failed);
  }
  return { detail: `restored ${Object.keys(Object.values(originals)[0] ?? {}).join(', ')} on ${Object.keys(originals).length} nodes` };
};

/** The executor for every step kind of a create operation. */
export const createClusterExecutors: Readonly<Partial<Record<StepKind, StepExecutor>>> = {
  check_nodes: checkNodes,
  tune_nodes: tuneNodes,
  set_config_epochs: setConfigEpochs,
  assign_slots: assignSlots,
  meet_nodes: meetNodes,
  assign_replicas: assignReplicas,
  wait_ready: waitReady,
  restore_config: restoreConfig,
};

/** Steps that run even after an earlier step failed, so a node is never left changed. */
export const CLEANUP_STEPS: readonly StepKind[] = ['restore_config'];
