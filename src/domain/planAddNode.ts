import type { Step } from './operation.ts';
import { buildSteps, ROLE_CHANGE_TUNING, waitTopologyStep, type NodeRef, type StepSpec } from './topologySteps.ts';

export interface AddNodePlanInput {
  /** The new node's normalised `host:port`. */
  readonly address: string;
  readonly role: 'master' | 'replica';
  /** For a replica: the master it follows. */
  readonly master?: NodeRef;
  /** The cluster's nodes now. */
  readonly members: readonly NodeRef[];
  readonly timeoutSeconds: number;
}

/**
 * The frozen steps that add a node: check it (reachable, cluster mode, empty, alone, Redis >= 7),
 * lower its node timeout, have every member MEET it, wait until every node knows it,
 * for a replica replicate its master, then wait until every node sees its role and the cluster is
 * ready. Cleanup: restore the tuned timeout, and take the node out of the desired topology again
 * if it never joined (a failed or cancelled add leaves no trace there).
 */
export function planAddNode({ address, role, master, members, timeoutSeconds }: AddNodePlanInput): Step[] {
  if (role === 'replica' && master === undefined) throw new RangeError('a replica needs a master');
  const memberAddresses = members.map((m) => m.address);
  const specs: StepSpec[] = [
    ['check_new_node', `Check that ${address} is reachable, empty, alone and in cluster mode`, { address, memberIds: members.map((m) => m.id) }],
  ];
  specs.push(['tune_nodes', `Lower the node timeout of ${address} so every node sees it join within ~0.5 s`, { nodes: [address], settings: ROLE_CHANGE_TUNING }]);
  specs.push(
    ['meet_new_node', `Introduce ${address} to the ${members.length} nodes of the cluster`, { address, members: memberAddresses }],
    ['wait_known', `Wait until every node knows ${address}`, { address, members: memberAddresses, timeoutSeconds }],
  );
  if (role === 'replica') {
    specs.push(['replicate_nodes', `Make ${address} a replica of ${master!.address}`, { pairs: [{ replica: address, master }] }]);
  }
  specs.push(waitTopologyStep(`Wait until every node sees ${address} as ${role === 'master' ? 'a master' : `a replica of ${master!.address}`} and the cluster is ready`, {
    nodes: [...memberAddresses, address],
    expect: [role === 'master' ? { address, role } : { address, role, master: master!.address }],
    absent: [],
    ready: true,
    timeoutSeconds,
  }));
  specs.push(['restore_config', `Restore the node timeout of ${address}`, { nodes: [address] }]);
  specs.push(['release_new_node', `Keep ${address} in the desired topology only if it joined`, { address, members: memberAddresses }]);
  return buildSteps(specs);
}
