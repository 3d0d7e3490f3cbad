import type { NodeRef } from './nodeRef.ts';
import { plan, type Plan } from './plan.ts';
import type { RoleExpectation } from './stepParams.ts';
import { buildSteps, step, type StepSpec } from './steps.ts';
import { ROLE_CHANGE_TUNING, waitTopologyStep } from './topologySteps.ts';

/** `CLUSTER FAILOVER` variants: default (coordinated with the master), FORCE (without it), TAKEOVER (without a vote). */
export type FailoverMode = 'default' | 'force' | 'takeover';

export interface FailoverPlanInput {
  readonly replica: NodeRef;
  readonly master: NodeRef;
  /** The master's other replicas: they follow the new master. */
  readonly siblings: readonly NodeRef[];
  readonly mode: FailoverMode;
  /** The nodes that must see the new roles: every reachable node. */
  readonly nodes: readonly string[];
  /** Require full readiness (false when some node is down, as in a forced failover). */
  readonly ready: boolean;
  readonly timeoutSeconds: number;
}

/**
 * The plan of a failover: `CLUSTER FAILOVER [FORCE|TAKEOVER]` on the replica, whose OK
 * only means "scheduled", then wait until every node sees the replica as master and the old
 * master (when reachable) and the other replicas as its replicas. Those followers have their node
 * timeout lowered for the duration (see ROLE_CHANGE_TUNING), restored also on failure.
 */
export function planFailover(input: FailoverPlanInput): Plan {
  const { replica, master, siblings, mode, nodes, ready, timeoutSeconds } = input;
  const expect: RoleExpectation[] = [
    { address: replica.address, role: 'master' },
    ...(nodes.includes(master.address) ? [{ address: master.address, role: 'replica' as const, master: replica.address }] : []),
    ...siblings.filter((s) => nodes.includes(s.address)).map((s) => ({ address: s.address, role: 'replica' as const, master: replica.address })),
  ];
  const command = mode === 'default' ? 'CLUSTER FAILOVER' : `CLUSTER FAILOVER ${mode.toUpperCase()}`;
  // The new master announces itself to every node; the nodes that become its replicas do not.
  const followers = expect.filter((e) => e.role === 'replica').map((e) => e.address);
  const specs: StepSpec[] = [];
  if (followers.length > 0) {
    specs.push(step('tune_nodes', `Lower the node timeout of ${followers.join(', ')} so every node sees their new master at once`, { nodes: followers, settings: ROLE_CHANGE_TUNING }));
  }
  specs.push(
    step('failover', `${command} on ${replica.address} (replica of ${master.address})`, { replica, master, mode }),
    waitTopologyStep(`Wait until every node sees ${replica.address} as the master${ready ? ' and the cluster is ready' : ''}`, {
      nodes, expect, absent: [], ready, timeoutSeconds,
    }),
  );
  if (followers.length > 0) specs.push(step('restore_config', `Restore the node timeout of ${followers.join(', ')}`, { nodes: followers }));
  return plan('failover', `${command} on ${replica.address}: it takes over from ${master.address}`, buildSteps(specs), {
    replicas: [{ replica: master, master: replica }],
  });
}
