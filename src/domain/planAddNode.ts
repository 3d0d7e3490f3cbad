import type { NodeRef } from './nodeRef.ts';
import { plan, type Plan } from './plan.ts';
import { buildSteps, step, type StepSpec } from './steps.ts';
import { attachTuning, ROLE_CHANGE_TUNING, waitTopologyStep } from './topologySteps.ts';

export interface AddNodePlanInput {
  /** The new node's normalised `host:port`. */
  readonly address: string;
  /** The new node's id, when its probe told it (shown in the plan's replica change). */
  readonly nodeId?: string | undefined;
  readonly role: 'master' | 'replica';
  /** For a replica: the master it follows. */
  readonly master?: NodeRef | undefined;
  /** For a replica: whether slotsmith chose the master (none was asked for). */
  readonly masterChosen?: boolean;
  /** The cluster's nodes now. */
  readonly members: readonly NodeRef[];
  readonly timeoutSeconds: number;
  /** The cluster's nodes require a password: the new node gets it as `masterauth` where it has none. */
  readonly masterAuth?: boolean;
}

/**
 * The plan that adds a node: check it (reachable, cluster mode, empty, alone, Redis >= 7),
 * lower its node timeout, have every member MEET it, wait until every node knows it,
 * for a replica replicate its master, then wait until every node sees its role and the cluster is
 * ready. Cleanup: restore the tuned timeout, and take the node out of the desired topology again
 * if it never joined (a failed or cancelled add leaves no trace there). Throws a RangeError for a
 * replica without a master.
 *
 * @example planAddNode({ address: '10.0.0.7:7000', role: 'master', members, timeoutSeconds: 60 }).summary
 *   // 'add 10.0.0.7:7000 as a master without slots'
 */
export function planAddNode({ address, nodeId, role, master, masterChosen = false, members, timeoutSeconds, masterAuth = false }: AddNodePlanInput): Plan {
  if (role === 'replica' && master === undefined) throw new RangeError('a replica needs a master');
  const memberAddresses = members.map((m) => m.address);
  const tuning = master === undefined ? { nodes: [address], settings: ROLE_CHANGE_TUNING } : attachTuning([address], [master.address]);
  const specs: StepSpec[] = [
    step('check_new_node', `Check that ${address} is reachable, empty, alone and in cluster mode`, { address, memberIds: members.map((m) => m.id) }),
    ...(masterAuth ? [step('set_master_auth', `Give ${address} the cluster's password as masterauth if it has none`, { nodes: [address] })] : []),
    step('tune_nodes', `Lower the node timeout of ${address} so every node sees it join within ~0.5 s${master === undefined ? '' : `, and the diskless sync delay of ${master.address} so its sync starts at once`}`, tuning),
    // A master will serve slots: it needs the cluster's functions (a replica gets them by replication).
    ...(master === undefined ? [step('copy_functions', `Copy the cluster's function libraries to ${address}`, { from: memberAddresses, to: [address] })] : []),
    step('meet_new_node', `Introduce ${address} to the ${members.length} nodes of the cluster`, { address, members: memberAddresses }),
    step('wait_known', `Wait until every node knows ${address}`, { address, members: memberAddresses, timeoutSeconds }),
  ];
  if (master !== undefined) {
    specs.push(step('replicate_nodes', `Make ${address} a replica of ${master.address}`, { pairs: [{ replica: address, master }] }));
  }
  specs.push(
    waitTopologyStep(`Wait until every node sees ${address} as ${master === undefined ? 'a master' : `a replica of ${master.address}`} and the cluster is ready`, {
      nodes: [...memberAddresses, address],
      expect: [master === undefined ? { address, role: 'master' } : { address, role: 'replica', master: master.address }],
      absent: [],
      ready: true,
      timeoutSeconds,
    }),
    step('restore_config', `Restore the node timeout of ${address}${master === undefined ? '' : ` and the diskless sync delay of ${master.address}`}`, { nodes: tuning.nodes }),
    step('release_new_node', `Keep ${address} in the desired topology only if it joined`, { address, members: memberAddresses }),
  );
  if (master === undefined) return plan('add_node', `add ${address} as a master without slots`, buildSteps(specs));
  const chosen = masterChosen ? ' (the master with the fewest replicas, on another host where possible)' : '';
  return plan('add_node', `add ${address} as a replica of ${master.address}${chosen}`, buildSteps(specs), {
    replicas: [{ replica: { id: nodeId ?? '', address }, master }],
  });
}
