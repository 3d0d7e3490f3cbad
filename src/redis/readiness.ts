import type { Redis } from 'ioredis';
import { parseNodeAddress } from '../domain/nodeAddress.ts';
import { UNHEALTHY_FLAGS, type ObservedNode } from '../domain/observedTopology.ts';
import { formatRanges, SLOT_COUNT } from '../domain/slotRange.ts';
import { normaliseRanges, slotRangesWhere } from '../domain/slotSet.ts';
import type { NodeStats } from '../domain/nodeStats.ts';
import { mergeLooks, statsOf, STATS_INFO_SECTIONS, type ObservedCluster } from './observeCluster.ts';
import { parseInfo } from './parseInfo.ts';
import { clusterViewFromText, type ClusterView } from './readClusterView.ts';
import { sleep } from './sleep.ts';

/** One reason a node is not ready yet. */
export interface ReadinessProblem {
  readonly address: string;
  readonly reason: string;
}

/** The outcome of a readiness check: `ready` only when there is no problem (and at least one node). */
export interface Readiness {
  readonly ready: boolean;
  readonly problems: ReadinessProblem[];
  /**
   * With `look`: what the nodes answered, as {@link observeCluster} with `stats` would have seen
   * it (an unreachable node listed with its reason), so a caller that waited for the nodes to
   * agree need not ask them again.
   */
  readonly look?: ObservedCluster;
}

interface NodeState {
  readonly address: string;
  readonly view: ClusterView;
  readonly clusterState: string;
  readonly masterLinkStatus: string | null;
  /** With `look`: the node's stats from the same round. */
  readonly stats?: NodeStats;
}


/**
 * Checks design.md's readiness once, against all nodes concurrently (one pipelined round trip per
 * node: CLUSTER INFO, CLUSTER NODES, INFO replication):
 * - every node says `cluster_state:ok`;
 * - every node knows every other node (same count, same ids), each with a `connected` link and
 *   none flagged fail/pfail/handshake/noaddr;
 * - all nodes report the same master -> slots map;
 * - every replica reports `master_link_status:up`.
 * `clients` maps each node's address to a connected client; the problems name those addresses.
 * `brief` skips working out where slot maps differ (one problem says that they do): the slot by
 * slot comparison of 16384 owners per node is most of a check's CPU, which a caller polling
 * until the nodes agree need not pay at every round. `look` reads each node's `INFO` sections
 * the stats need instead of its replication section, and returns what the round saw as an
 * observation.
 */
export async function checkReadiness(clients: ReadonlyMap<string, Redis>, opts: { brief?: boolean; look?: boolean } = {}): Promise<Readiness> {
  const problems: ReadinessProblem[] = [];
  const states: NodeState[] = [];
  const unreachable = new Map<string, string>();
  await Promise.all(
    [...clients].map(async ([address, client]) => {
      try {
        states.push(await readNodeState(address, client, opts.look === true));
      } catch (err) {
        problems.push({ address, reason: `unreachable: ${(err as Error).message}` });
        unreachable.set(address, (err as Error).message);
      }
    }),
  );
  // Deterministic order regardless of which reply came first.
  const order = new Map([...clients.keys()].map((a, i) => [a, i]));
  states.sort((a, b) => (order.get(a.address) ?? 0) - (order.get(b.address) ?? 0));

  const addressById = new Map(states.map((s) => [s.view.myself.id, s.address]));
  // Where the address slotsmith uses differs from the one the nodes use, both are shown: a link
  // problem is about the address in CLUSTER NODES.
  const nameOf = (node: ObservedNode): string => {
    const known = addressById.get(node.id);
    if (known === undefined) return `${node.address} (${node.id})`;
    return sameAddress(known, node.address) ? known : `${known} (${node.address} in CLUSTER NODES)`;
  };

  for (const state of states) {
    const { address, view } = state;
    if (state.clusterState !== 'ok') problems.push({ address, reason: `cluster_state:${state.clusterState}` });
    if (view.nodes.length !== clients.size) {
      problems.push({ address, reason: `knows ${view.nodes.length} nodes, expected ${clients.size}` });
    }
    const seen = new Set(view.nodes.map((n) => n.id));
    for (const [id, other] of addressById) {
      if (!seen.has(id)) problems.push({ address, reason: `does not know ${other}` });
    }
    for (const node of view.nodes) {
      if (node.myself) continue;
      if (!addressById.has(node.id) && addressById.size === clients.size) {
        problems.push({ address, reason: `knows ${node.address} (${node.id}), which is not part of this cluster` });
      }
      const bad = node.flags.filter((f) => UNHEALTHY_FLAGS.includes(f));
      if (bad.length > 0) problems.push({ address, reason: `sees ${nameOf(node)} as ${bad.join(',')}` });
      if (node.linkState !== 'connected') problems.push({ address, reason: `link to ${nameOf(node)} is disconnected` });
    }
    if (view.myself.role === 'replica' && state.masterLinkStatus !== 'up') {
      problems.push({ address, reason: `master_link_status:${state.masterLinkStatus ?? 'unknown'}` });
    }
  }

  problems.push(...(opts.brief ? briefSlotMapDisagreement(states) : slotMapDisagreements(states, nameOf)));
  problems.sort((a, b) => (order.get(a.address) ?? 0) - (order.get(b.address) ?? 0));
  const ready = problems.length === 0 && clients.size > 0;
  if (!opts.look) return { ready, problems };
  const byAddress = new Map(states.map((s) => [s.address, s]));
  const look = mergeLooks([...clients.keys()].map((address) => {
    const state = byAddress.get(address);
    return state ? { address, view: state.view, stats: state.stats } : { address, reason: unreachable.get(address) ?? 'unknown error' };
  }));
  return { ready, problems, look };
}

async function readNodeState(address: string, client: Redis, full: boolean): Promise<NodeState> {
  const pipeline = client.pipeline().call('CLUSTER', 'INFO').call('CLUSTER', 'NODES');
  const replies = await (full ? pipeline.info(...STATS_INFO_SECTIONS) : pipeline.info('replication')).exec();
  if (!replies) throw new Error('pipeline was not executed');
  const results = replies.map(([err, value]) => {
    if (err) throw err;
    return String(value);
  });
  // With `full` the last reply holds the replication section among the others.
  const [clusterInfo = '', nodesText = '', infoText = ''] = results;
  const info = parseInfo(infoText);
  const cluster = parseInfo(clusterInfo);
  return {
    address,
    view: clusterViewFromText(nodesText, address),
    clusterState: cluster.get('cluster_state') ?? 'unknown',
    masterLinkStatus: info.get('master_link_status') ?? null,
    ...(full ? { stats: statsOf(cluster, info) } : {}),
  };
}

/** A node's master -> slots map as a canonical string, so equal maps compare equal cheaply. */
function slotMapKey(view: ClusterView): string {
  return view.nodes
    .filter((n) => n.role === 'master' && n.slots.length > 0)
    .map((n) => `${n.id}=${formatRanges(normaliseRanges(n.slots))}`)
    .sort()
    .join(' ');
}

function briefSlotMapDisagreement(states: readonly NodeState[]): ReadinessProblem[] {
  const keys = states.map((s) => slotMapKey(s.view));
  const first = states[0];
  const other = keys.findIndex((k) => k !== keys[0]);
  return first && other >= 0 ? [{ address: states[other]!.address, reason: `disagrees with ${first.address} on the slot map` }] : [];
}

function slotMapDisagreements(states: readonly NodeState[], nameOf: (n: ObservedNode) => string): ReadinessProblem[] {
  const keys = states.map((s) => slotMapKey(s.view));
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  if (counts.size <= 1) return [];
  const majorityKey = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  const majority = states[keys.indexOf(majorityKey ?? '')];
  if (!majority) return [];
  const reference = slotOwners(majority.view);
  const names = new Map(majority.view.nodes.map((n) => [n.id, nameOf(n)]));
  const problems: ReadinessProblem[] = [];
  states.forEach((state, i) => {
    if (keys[i] === majorityKey) return;
    const owners = slotOwners(state.view);
    for (const n of state.view.nodes) if (!names.has(n.id)) names.set(n.id, nameOf(n));
    const differing = slotRangesWhere((s) => owners[s] !== reference[s]);
    const first = differing[0];
    if (!first) return;
    const say = (id: string | undefined): string => (id === undefined ? 'nobody' : (names.get(id) ?? id));
    problems.push({
      address: state.address,
      reason:
        `disagrees on the slot map for slots ${formatRanges(differing.slice(0, 3))}${differing.length > 3 ? ',...' : ''}: ` +
        `says slot ${first[0]} is served by ${say(owners[first[0]])}, ${majority.address} says ${say(reference[first[0]])}`,
    });
  });
  return problems;
}

function slotOwners(view: ClusterView): (string | undefined)[] {
  const owners = new Array<string | undefined>(SLOT_COUNT);
  for (const node of view.nodes) {
    if (node.role !== 'master') continue;
    for (const [start, end] of node.slots) owners.fill(node.id, start, end + 1);
  }
  return owners;
}

/** How long to wait, how often to check, and a signal to stop waiting. */
export interface WaitForReadinessOptions {
  readonly timeoutMs: number;
  /**
   * Pause between checks (a round is one pipelined request per node); by default a tenth of the
   * time waited so far, between 5 and 50 ms: nodes that agree within a few gossip rounds (a slot
   * handed over, a replica attached) are seen within milliseconds, and a long wait does not poll hard.
   */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
  /** Return the last round's answers as an observation (see `checkReadiness`). */
  readonly look?: boolean;
}

/**
 * Checks readiness until it holds or `timeoutMs` has passed, and resolves with the last result
 * either way, so a caller can name the nodes that did not converge. Throws the signal's reason
 * when aborted.
 */
export async function waitForReadiness(
  clients: ReadonlyMap<string, Redis>,
  opts: WaitForReadinessOptions,
): Promise<Readiness> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  for (;;) {
    opts.signal?.throwIfAborted();
    const result = await checkReadiness(clients, { brief: true, look: opts.look === true });
    if (result.ready) return result;
    // The caller names the nodes that did not converge: the last check says where in detail.
    if (Date.now() >= deadline) return checkReadiness(clients, { look: opts.look === true });
    await sleep(opts.intervalMs ?? Math.min(50, Math.max(5, (Date.now() - started) / 10)), opts.signal);
  }
}

/** Whether two spellings name the same `host:port` (the nodes announce IPv6 without brackets). */
function sameAddress(a: string, b: string): boolean {
  const pa = parseNodeAddress(a, 'announced');
  const pb = parseNodeAddress(b, 'announced');
  return pa.ok && pb.ok ? pa.address === pb.address : a === b;
}
