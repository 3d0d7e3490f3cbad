import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import { parseNodeAddress } from '../domain/nodeAddress.ts';
import type { NodeRef } from '../domain/nodeRef.ts';
import type { NodeProblem } from '../domain/operation.ts';
import { countSlots } from '../domain/slotRange.ts';
import { forgetNode } from '../redis/forgetNode.ts';
import { meet } from '../redis/meet.ts';
import { myNodeId } from '../redis/myNodeId.ts';
import { probeNode } from '../redis/probeNode.ts';
import { readClusterView } from '../redis/readClusterView.ts';
import { resetNode } from '../redis/resetNode.ts';
import { resolveHost } from '../redis/resolveHost.ts';
import { sleep } from '../redis/sleep.ts';
import { waitUntilKnows } from '../redis/waitUntilKnows.ts';
import { attachReplica } from './attachReplica.ts';
import type { ExecutorsOf, StepContext, StepExecutor } from './stepContext.ts';
import { StepFailure } from './stepFailure.ts';

const list = (problems: readonly NodeProblem[]) => problems.map((p) => `${p.address} (${p.reason})`).join(', ');
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Settles every task; rethrows the abort reason when the step was cancelled, else returns the failures by address. */
async function settleAll<T>(ctx: StepContext, items: readonly string[], task: (address: string) => Promise<T>): Promise<{ values: Map<string, T>; failed: NodeProblem[] }> {
  const results = await Promise.allSettled(items.map(task));
  ctx.signal.throwIfAborted();
  const values = new Map<string, T>();
  const failed: NodeProblem[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') values.set(items[i]!, r.value);
    else failed.push({ address: items[i]!, reason: messageOf(r.reason) });
  });
  return { values, failed };
}

/** Whether the node at `address` already belongs to the cluster whose nodes have `memberIds` (a resumed run). */
async function knowsAnyMember(ctx: StepContext, address: string, memberIds: readonly string[]): Promise<boolean> {
  try {
    const { nodes } = await readClusterView(await ctx.connections.get(address));
    return nodes.some((n) => memberIds.includes(n.id));
  } catch {
    return false;
  }
}

const checkNewNode: StepExecutor<'check_new_node'> = async (ctx) => {
  const { address, memberIds } = ctx.step.params;
  if (await knowsAnyMember(ctx, address, memberIds)) {
    await ctx.saveOutputs({ nodeId: await myNodeId(await ctx.connections.get(address)) });
    return { detail: `${address} already knows the cluster (a resumed run)` };
  }
  const probe = await probeNode(address, ctx.cluster.auth ?? undefined);
  if (!probe.ok) {
    throw new StepFailure('node_not_fit', `${address} cannot join the cluster, nothing was changed: ${probe.problems.join('; ')}`,
      [{ address, reason: probe.problems.join('; ') }]);
  }
  if (probe.nodeId !== null) await ctx.saveOutputs({ nodeId: probe.nodeId });
  return { detail: `${address} is empty, alone and in cluster mode, Redis ${probe.redisVersion}` };
};

const meetNewNode: StepExecutor<'meet_new_node'> = async (ctx) => {
  const { address, members } = ctx.step.params;
  const parsed = parseNodeAddress(address);
  if (!parsed.ok) throw new StepFailure('bad_address', `${address}: ${parsed.reason}`);
  let ip: string;
  try {
    // CLUSTER MEET takes an IP, never a host name.
    ip = await resolveHost(parsed.host);
  } catch (err) {
    throw new StepFailure('unresolvable_host', messageOf(err), [{ address, reason: 'host name does not resolve' }], { cause: err });
  }
  const newNode = await ctx.connections.get(address);
  const { myself } = await readClusterView(newNode);
  await ctx.recordNodeIds({ [address]: myself.id });
  // Every member meets it at once: learning about a node by gossip alone takes several ping rounds.
  const { values, failed } = await settleAll(ctx, members, async (member) => {
    const client = await ctx.connections.get(member);
    const { nodes } = await readClusterView(client);
    if (nodes.some((n) => n.id === myself.id)) return false;
    return meet(client, ip, parsed.port, myself.busPort);
  });
  if (failed.length > 0) throw new StepFailure('meet_failed', `could not introduce ${address} to ${list(failed)}`, failed);
  const sent = [...values.values()].filter(Boolean).length;
  return { detail: sent === 0 ? `every node already knew ${address}` : `${sent} nodes sent CLUSTER MEET ${ip} ${parsed.port}` };
};

const waitKnown: StepExecutor<'wait_known'> = async (ctx) => {
  const { address, members, timeoutSeconds } = ctx.step.params;
  const timeoutMs = timeoutSeconds * 1000;
  const newNode = await ctx.connections.get(address);
  const newId = await myNodeId(newNode);
  const memberClients = await ctx.connections.getAll(members);
  const memberIds = await Promise.all(members.map((m) => myNodeId(memberClients.get(m)!)));
  const { failed } = await settleAll(ctx, [...members, address], (node) => node === address
    ? waitUntilKnows(newNode, memberIds, { timeoutMs, signal: ctx.signal })
    : waitUntilKnows(memberClients.get(node)!, [newId], { timeoutMs, signal: ctx.signal }));
  if (failed.length > 0) {
    throw new StepFailure('node_not_known', `after ${timeoutMs / 1000} s these nodes still do not know each other: ${list(failed)}`, failed);
  }
  return { detail: `all ${members.length + 1} nodes know each other` };
};

const replicateNodes: StepExecutor<'replicate_nodes'> = async (ctx) => {
  const { pairs } = ctx.step.params;
  const byReplica = new Map(pairs.map((p) => [p.replica, p.master]));
  const { values, failed } = await settleAll(ctx, pairs.map((p) => p.replica), async (replica) =>
    attachReplica(await ctx.connections.get(replica), byReplica.get(replica)!, ctx.signal));
  if (failed.length > 0) {
    throw new StepFailure('replicate_failed', `could not attach ${list(failed)}`, failed);
  }
  const changed = [...values.values()].filter(Boolean).length;
  const same = pairs.length - changed;
  return { detail: `${changed} ${changed === 1 ? 'replica follows its' : 'replicas follow their'} new master${same > 0 ? `, ${same} already did` : ''}` };
};

/** How long `forget_node` waits for every node to see the node it forgets serving nothing and followed by nobody. */
const IN_USE_WAIT_MS = 5_000;
const IN_USE_POLL_MS = 20;

/** The nodes that still see `node` serving slots (unless they are abandoned), or still replicate it. */
async function stillInUse(node: NodeRef, nodes: readonly string[], clients: ReadonlyMap<string, Redis>, abandonSlots: boolean): Promise<NodeProblem[]> {
  const views = await Promise.all(nodes.map(async (a) => ({ address: a, view: await readClusterView(clients.get(a)!) })));
  return views.flatMap(({ address, view }): NodeProblem[] => {
    const entry = view.nodes.find((n) => n.id === node.id);
    const slots = entry?.role === 'master' && !abandonSlots ? countSlots(entry.slots) : 0;
    return [
      ...(slots > 0 ? [{ address, reason: `sees ${node.address} serving ${slots} slots` }] : []),
      ...(view.myself.role === 'replica' && view.myself.masterId === node.id ? [{ address, reason: `still replicates ${node.address}` }] : []),
    ];
  });
}

const forgetNodeStep: StepExecutor<'forget_node'> = async (ctx) => {
  const { node, nodes, reset, abandonSlots = false } = ctx.step.params;
  let clients: Map<string, Redis>;
  try {
    clients = await ctx.connections.getAll(nodes);
  } catch (err) {
    // Every node must forget it, or the one left out gossips it back in: do nothing rather than half.
    throw new StepFailure('nodes_unreachable', `cannot forget ${node.address}, nothing was changed: ${messageOf(err)}`, [], { cause: err });
  }
  // A drain or a replica move just before is told to the masters directly, but replicas learn it
  // by gossip within milliseconds: wait for that, then give up naming who still uses the node.
  const deadline = Date.now() + IN_USE_WAIT_MS;
  const inUseNow = () => stillInUse(node, nodes, clients, abandonSlots);
  for (let inUse = await inUseNow(); inUse.length > 0; inUse = await inUseNow()) {
    if (Date.now() >= deadline) throw new StepFailure('node_still_in_use', `${node.address} cannot be forgotten yet, nothing was changed: ${list(inUse)}`, inUse);
    await sleep(IN_USE_POLL_MS, ctx.signal);
  }

  // All at once: each node bans the id for 60 s only, then gossip from any node that still knows it re-adds it.
  const { values, failed } = await settleAll(ctx, nodes, (a) => forgetNode(clients.get(a)!, node.id));
  if (failed.length > 0) throw new StepFailure('forget_failed', `these nodes did not forget ${node.address}: ${list(failed)}`, failed);
  const forgot = [...values.values()].filter(Boolean).length;
  const detail = `${forgot} nodes forgot ${node.address}${forgot < nodes.length ? ` (${nodes.length - forgot} had already)` : ''}`;
  if (!reset) return { detail: `${detail}; ${node.address} itself was not touched` };
  let client: Redis;
  try {
    client = await ctx.connections.get(node.address);
  } catch (err) {
    throw new StepFailure('reset_failed', `${detail}, but ${node.address} is unreachable and was not reset: reset it (CLUSTER RESET HARD) before it starts again, or it rejoins`,
      [{ address: node.address, reason: messageOf(err) }], { cause: err });
  }
  try {
    const wasReset = await resetNode(client, node.id);
    return { detail: `${detail}; ${node.address} ${wasReset ? 'reset (CLUSTER RESET HARD)' : 'was already reset'}` };
  } catch (err) {
    if (err instanceof DomainError) throw new StepFailure('reset_failed', err.message, [{ address: node.address, reason: err.message }], { cause: err });
    throw err;
  }
};

/** The executors of the steps that add and remove nodes and move replicas. */
export const nodeExecutors: ExecutorsOf<'check_new_node' | 'meet_new_node' | 'wait_known' | 'replicate_nodes' | 'forget_node'> = {
  check_new_node: checkNewNode,
  meet_new_node: meetNewNode,
  wait_known: waitKnown,
  replicate_nodes: replicateNodes,
  forget_node: forgetNodeStep,
};
