import type { Redis } from 'ioredis';
import type { NodeStats } from '../domain/nodeStats.ts';
import type { ObservedNode } from '../domain/observedTopology.ts';
import type { ServerInfo } from '../domain/serverCapabilities.ts';
import { connectNode, type ConnectOptions } from './connectNode.ts';
import type { NodeAuth } from './nodeAuth.ts';
import type { NodeConnections } from './nodeConnections.ts';
import { parseInfo } from './parseInfo.ts';
import { serverInfoOf } from './probeNode.ts';
import { clusterViewFromText, readClusterView, type ClusterView } from './readClusterView.ts';

/** How long one node may take to answer a look (connect, then one pipeline) before it counts as unreachable. */
export const LOOK_TIMEOUT_MS = 2_000;

/** What the nodes at some addresses say about their cluster, merged. */
export interface ObservedCluster {
  /** With `stats`: what each reached address said about itself (`CLUSTER INFO`, `INFO`). */
  readonly stats: ReadonlyMap<string, NodeStats>;
  /** Every node any reachable node knows, once each. */
  readonly nodes: ObservedNode[];
  /** For each reachable address, the id of the node behind it (addresses may be names, nodes announce IPs). */
  readonly reached: { readonly address: string; readonly nodeId: string }[];
  readonly unreachable: { readonly address: string; readonly reason: string }[];
  /** Each reachable node's own view of the whole cluster, for finding nodes that disagree. */
  readonly views: { readonly address: string; readonly nodes: readonly ObservedNode[] }[];
}

/**
 * Asks every address for `CLUSTER NODES` (concurrently, on short-lived connections, or on the
 * kept ones of `opts.connections`, as the observer does at every look) and merges the
 * views: a node's own `myself` line is authoritative for it; a node that none of the addresses
 * reached is taken from the first view (in `addresses` order) that mentions it. Read-only.
 */
export async function observeCluster(
  addresses: readonly string[],
  auth?: NodeAuth,
  opts: ConnectOptions & { readonly stats?: boolean; readonly connections?: NodeConnections } = {},
): Promise<ObservedCluster> {
  const views = await Promise.all(
    addresses.map(async (address): Promise<NodeLook> => {
      let client: Redis | undefined;
      let failed = false;
      try {
        client = opts.connections ? await opts.connections.get(address) : await connectNode(address, auth, opts);
        if (!opts.stats) return { address, view: await readClusterView(client) };
        return { address, ...(await readViewAndStats(client, address)) };
      } catch (err) {
        failed = true;
        return { address, reason: (err as Error).message };
      } finally {
        // A kept connection is dropped only when it failed, so the next look connects afresh.
        if (!opts.connections || failed) client?.disconnect();
      }
    }),
  );

  return mergeLooks(views);
}

/** What one address answered to a look: its view (and stats), or why it could not be asked. */
export interface NodeLook {
  readonly address: string;
  readonly view?: ClusterView | undefined;
  readonly stats?: NodeStats | undefined;
  readonly reason?: string | undefined;
}

/**
 * Merges what each address answered into one observation, as {@link observeCluster} does: a
 * node's own `myself` line is authoritative for it; a node no address reached is taken from the
 * first view (in the given order) that mentions it.
 */
export function mergeLooks(views: readonly NodeLook[]): ObservedCluster {
  const byId = new Map<string, ObservedNode>();
  const reached: { address: string; nodeId: string }[] = [];
  const unreachable: { address: string; reason: string }[] = [];
  for (const { address, view, reason } of views) {
    if (!view) {
      unreachable.push({ address, reason: reason ?? 'unknown error' });
      continue;
    }
    const self = view.myself;
    // A node that never met anyone does not know its own IP and reports ":port".
    byId.set(self.id, self.address.startsWith(':') ? { ...self, address: withPort(address, self.address) } : self);
    reached.push({ address, nodeId: self.id });
  }
  for (const { view } of views) {
    for (const node of view?.nodes ?? []) {
      if (!byId.has(node.id)) byId.set(node.id, { ...node, myself: false });
    }
  }
  const perNode = views.flatMap(({ address, view }) => (view ? [{ address, nodes: view.nodes }] : []));
  const stats = new Map(views.flatMap(({ address, stats: s }) => (s ? [[address, s] as const] : [])));
  return { nodes: [...byId.values()], reached, unreachable, views: perNode, stats };
}

/** `CLUSTER NODES`, `CLUSTER INFO` and `INFO` in one round trip. */
async function readViewAndStats(client: Redis, address: string): Promise<{ view: ClusterView; stats: NodeStats }> {
  const replies = await client.pipeline().call('CLUSTER', 'NODES').call('CLUSTER', 'INFO').info(...STATS_INFO_SECTIONS).exec();
  const [nodes, cluster, info] = (replies ?? []).map(([err, value]) => {
    if (err) throw err;
    return String(value);
  });
  return { view: clusterViewFromText(nodes ?? '', address), stats: statsOf(parseInfo(cluster ?? ''), parseInfo(info ?? '')) };
}

/**
 * The `INFO` sections {@link statsOf} reads (role, link, offsets, memory, keys, loading, server):
 * asking for them alone (Redis >= 7.0 and Valkey take several sections) spares every look the
 * clients, stats, CPU and error sections, about half of the default reply, parsed at each look.
 */
export const STATS_INFO_SECTIONS = ['server', 'replication', 'memory', 'persistence', 'keyspace'] as const;

/** A node's stats from its parsed `CLUSTER INFO` and `INFO` ({@link STATS_INFO_SECTIONS} or more). */
export function statsOf(ci: ReadonlyMap<string, string>, i: ReadonlyMap<string, string>): NodeStats {
  const num = (v: string | undefined): number | null => (v === undefined || v === '' || Number.isNaN(Number(v)) ? null : Number(v));
  const replica = i.get('role') === 'slave';
  const keys = [...i].filter(([k]) => /^db\d+$/.test(k)).reduce((n, [, v]) => n + Number(/(?:^|,)keys=(\d+)/.exec(v)?.[1] ?? 0), 0);
  const server = serverInfoOf(i);
  const link = i.get('master_link_status');
  return {
    clusterState: ci.get('cluster_state') ?? 'unknown',
    currentEpoch: num(ci.get('cluster_current_epoch')) ?? 0,
    flavour: server.flavour,
    version: server.version,
    masterLinkStatus: replica ? (link === 'up' ? 'up' : 'down') : null,
    masterAddress: replica ? `${i.get('master_host') ?? '?'}:${i.get('master_port') ?? '?'}` : null,
    replOffset: num(replica ? i.get('slave_repl_offset') : i.get('master_repl_offset')),
    lastIoSecondsAgo: replica ? num(i.get('master_last_io_seconds_ago')) : null,
    usedMemoryBytes: num(i.get('used_memory')),
    keys,
    loading: i.get('loading') === '1',
  };
}

function withPort(connectedAddress: string, reported: string): string {
  const host = connectedAddress.slice(0, connectedAddress.lastIndexOf(':'));
  return `${host}${reported}`;
}

/** What each node that answered runs, by node id (from the `stats` of an observation made with them). */
export function serversById(observed: Pick<ObservedCluster, 'stats' | 'reached'>): Map<string, ServerInfo> {
  const servers = new Map<string, ServerInfo>();
  for (const { address, nodeId } of observed.reached) {
    const stats = observed.stats.get(address);
    if (stats) servers.set(nodeId, { flavour: stats.flavour, version: stats.version });
  }
  return servers;
}
