import type { ObservedNode } from '../domain/observedTopology.ts';
import { connectNode, type ConnectOptions } from './connectNode.ts';
import type { NodeAuth } from './nodeAuth.ts';
import { readClusterView, type ClusterView } from './readClusterView.ts';

/** What the nodes at some addresses say about their cluster, merged. */
export interface ObservedCluster {
  /** Every node any reachable node knows, once each. */
  readonly nodes: ObservedNode[];
  /** For each reachable address, the id of the node behind it (addresses may be names, nodes announce IPs). */
  readonly reached: { readonly address: string; readonly nodeId: string }[];
  readonly unreachable: { readonly address: string; readonly reason: string }[];
  /** Each reachable node's own view of the whole cluster, for finding nodes that disagree. */
  readonly views: { readonly address: string; readonly nodes: readonly ObservedNode[] }[];
}

/**
 * Asks every address for `CLUSTER NODES` (concurrently, on short-lived connections) and merges the
 * views: a node's own `myself` line is authoritative for it; a node that none of the addresses
 * reached is taken from the first view (in `addresses` order) that mentions it. Read-only.
 */
export async function observeCluster(
  addresses: readonly string[],
  auth?: NodeAuth,
  opts: ConnectOptions = {},
): Promise<ObservedCluster> {
  const views = await Promise.all(
    addresses.map(async (address): Promise<{ address: string; view?: ClusterView; reason?: string }> => {
      let client;
      try {
        client = await connectNode(address, auth, opts);
        return { address, view: await readClusterView(client) };
      } catch (err) {
        return { address, reason: (err as Error).message };
      } finally {
        client?.disconnect();
      }
    }),
  );

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
  return { nodes: [...byId.values()], reached, unreachable, views: perNode };
}

function withPort(connectedAddress: string, reported: string): string {
  const host = connectedAddress.slice(0, connectedAddress.lastIndexOf(':'));
  return `${host}${reported}`;
}
