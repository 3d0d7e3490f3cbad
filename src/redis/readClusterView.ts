import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import type { ObservedNode } from '../domain/observedTopology.ts';
import { addressOf } from './clientAddress.ts';
import { parseClusterNodes } from './parseClusterNodes.ts';

/** One node's view of the cluster: every line of its `CLUSTER NODES`, and its own (`myself`) line. */
export interface ClusterView {
  readonly nodes: ObservedNode[];
  readonly myself: ObservedNode;
}

/** Reads and parses `CLUSTER NODES` from the node behind `client`. */
export async function readClusterView(client: Redis): Promise<ClusterView> {
  return clusterViewFromText(String(await client.call('CLUSTER', 'NODES')), addressOf(client));
}

/** Builds a {@link ClusterView} from `CLUSTER NODES` text; `address` is only for the error message. */
export function clusterViewFromText(text: string, address: string): ClusterView {
  const nodes = parseClusterNodes(text);
  const myself = nodes.find((n) => n.myself);
  if (!myself) {
    throw new DomainError('internal', 'cluster_nodes_unparseable', `${address}: CLUSTER NODES has no "myself" line`);
  }
  return { nodes, myself };
}
