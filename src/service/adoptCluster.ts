import { z } from 'zod';
import type { ClusterView } from '../contract/clusterView.ts';
import { adoptedTopology } from '../domain/adoptedTopology.ts';
import { DomainError, invalidInput } from '../domain/errors.ts';
import { parseNodeAddress } from '../domain/nodeAddress.ts';
import type { ObservedNode } from '../domain/observedTopology.ts';
import { validateClusterName } from '../domain/validateCreateCluster.ts';
import { insertAdoptedCluster } from '../store/clusters.ts';
import type { NodeAuth } from '../store/records.ts';
import { requireRole } from './authorize.ts';
import { getCluster } from './clusters.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { healingInput, toHealingPolicy } from './healingInput.ts';
import { unreachableError } from './observeForChange.ts';
import { parseInput } from './parseInput.ts';

const adoptInput = z.strictObject({
  name: z.string().max(63, 'must be at most 63 characters'),
  adopt: z.string().min(1, 'must be host:port').max(300, 'must be at most 300 characters'),
  username: z.string().min(1).max(256).optional(),
  password: z.string().min(1).max(512).optional(),
  healing: healingInput.optional(),
});

/**
 * Takes a running cluster under management as it is (`POST /v1/clusters` with `{name, adopt:
 * "host:port", username?, password?, healing?}`): asks the node at `adopt` for the cluster, then
 * every node it knows, and stores their topology (masters, replicas, slots) as the desired spec,
 * `ready` at once. Nothing on any node changes: no command but reads is sent. From then on the
 * observer watches it and every call works on it. Nodes that do not answer are adopted as the
 * others know them (so a dead one can be removed through slotsmith). Refused: a name in use
 * (`409 cluster_exists`), a node of another managed cluster (`409 node_in_use`), a seed that does
 * not answer (`409 nodes_unreachable`, with a password the nodes need: `auth`), a node in
 * cluster mode that serves no slot and knows no other (`409 not_a_cluster`).
 */
export async function adoptCluster(deps: ServiceDeps, caller: Caller, input: unknown): Promise<ClusterView> {
  requireRole(caller, 'operator');
  const req = parseInput(adoptInput, input);
  const nameProblem = validateClusterName(req.name);
  const seed = parseNodeAddress(req.adopt);
  const fields = [...(nameProblem ? [{ pointer: '/name', reason: nameProblem }] : []), ...(seed.ok ? [] : [{ pointer: '/adopt', reason: seed.reason }])];
  if (fields.length > 0 || !seed.ok) throw invalidInput(fields);
  const auth: NodeAuth | null = req.password !== undefined || req.username !== undefined
    ? { ...(req.username !== undefined ? { username: req.username } : {}), ...(req.password !== undefined ? { password: req.password } : {}) }
    : null;

  const first = await deps.observe([seed.address], auth);
  if (first.unreachable.length > 0) throw unreachableError(first.unreachable, 'adopt a cluster');
  const seedId = first.reached[0]!.nodeId;
  const known = first.nodes.filter((n) => !n.flags.includes('handshake') && !n.flags.includes('noaddr'));
  const whole = await deps.observe([seed.address, ...known.filter((n) => n.id !== seedId).map((n) => n.address)], auth);
  const reachedAt = new Map(whole.reached.map((r) => [r.nodeId, r.address]));
  const addressOf = (n: ObservedNode) => (n.id === seedId ? seed.address : (reachedAt.get(n.id) ?? n.address));
  const nodes = whole.nodes.filter((n) => known.some((k) => k.id === n.id) || reachedAt.has(n.id));
  if (!nodes.some((n) => n.slots.length > 0) && nodes.length <= 1) {
    throw new DomainError('precondition', 'not_a_cluster', `${seed.address} serves no slot and knows no other node: there is no cluster to adopt (create one with "nodes" instead)`);
  }
  const topology = adoptedTopology(nodes, addressOf);
  const unreachable = whole.unreachable.map((u) => u.address);
  await insertAdoptedCluster(deps.db, {
    name: req.name,
    spec: topology.spec,
    auth,
    healing: toHealingPolicy(req.healing),
    nodes: topology.nodes,
    event: {
      type: 'cluster_adopted',
      message: `${req.name}: adopted from ${seed.address} by ${caller.name}: ${topology.spec.shards.length} masters, ${topology.nodes.length - topology.spec.shards.length} replicas${unreachable.length > 0 ? `; not answering: ${unreachable.join(', ')}` : ''}; nothing on the nodes was changed`,
      data: { seed: seed.address, nodes: topology.spec.nodes, unreachable },
    },
  });
  return getCluster(deps, caller, req.name, { refresh: true });
}
