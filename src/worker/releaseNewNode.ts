import type { NodeConnections } from '../redis/nodeConnections.ts';
import { readClusterView } from '../redis/readClusterView.ts';
import type { StepExecutor } from './stepContext.ts';

/** Takes an address out of a cluster's desired topology (spec and node row); false when it was not there. */
export type DropFromDesired = (clusterId: string, address: string) => Promise<boolean>;

/**
 * The cleanup step of an add: a node that never joined (no member knows it and it knows no
 * member, e.g. its check failed or the add was cancelled) is taken out of the desired topology
 * again, so a failed add leaves the cluster's spec as it was. A node that joined, even partly,
 * stays: it is part of the cluster now, and removing it is a decision for the caller (DELETE).
 */
export function releaseNewNodeExecutor(dropFromDesired: DropFromDesired): StepExecutor<'release_new_node'> {
  return async (ctx) => {
    const { address, members } = ctx.step.params;
    const nodeId = ctx.outputsOf('check_new_node')?.nodeId ?? null;
    if (nodeId !== null && (await joined(ctx.connections, address, nodeId, members))) {
      return { detail: `${address} joined the cluster and stays in the desired topology` };
    }
    const dropped = await dropFromDesired(ctx.cluster.id, address);
    return { detail: dropped ? `${address} did not join; taken out of the desired topology again` : `${address} did not join and is not in the desired topology` };
  };
}

/** Whether any member knows the node (in any state) or the node knows any member. */
async function joined(
  connections: NodeConnections,
  address: string,
  nodeId: string,
  members: readonly string[],
): Promise<boolean> {
  const views = await Promise.allSettled([address, ...members].map(async (a) => ({ a, view: await readClusterView(await connections.get(a)) })));
  const memberIds = new Set<string>();
  let knownByMember = false;
  let newView: { id: string }[] | null = null;
  for (const r of views) {
    if (r.status !== 'fulfilled') continue;
    if (r.value.a === address) {
      newView = r.value.view.nodes;
      continue;
    }
    memberIds.add(r.value.view.myself.id);
    if (r.value.view.nodes.some((n) => n.id === nodeId)) knownByMember = true;
  }
  // A member that could not be asked might know it: keep the node rather than guess it away.
  const unanswered = views.some((r, i) => i > 0 && r.status === 'rejected');
  return knownByMember || unanswered || (newView?.some((n) => memberIds.has(n.id)) ?? false);
}
