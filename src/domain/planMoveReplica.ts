import type { NodeRef } from './nodeRef.ts';
import { plan, type Plan } from './plan.ts';
import { buildSteps, step } from './steps.ts';
import { attachTuning, waitTopologyStep } from './topologySteps.ts';

export interface MoveReplicaPlanInput {
  readonly replica: NodeRef;
  readonly master: NodeRef;
  /** The master it follows now, when the nodes know it. */
  readonly current?: NodeRef | undefined;
  /** Every node of the cluster: they all must see the new master. */
  readonly nodes: readonly string[];
  /** Wait for design.md's readiness (default true; false while a dead node is still known: then only the roles and the replica's sync). */
  readonly awaitReady?: boolean;
  readonly timeoutSeconds: number;
}

/**
 * The plan that makes `replica` follow `master`: lower its node timeout and the master's diskless
 * sync delay (see `attachTuning`),
 * `CLUSTER REPLICATE` (skipped when it already does), wait until every node sees the new master
 * and the replica is in sync, then restore both (also on failure).
 *
 * @example planMoveReplica({ replica, master, current, nodes, timeoutSeconds: 600 }).summary
 *   // 'make 10.0.0.4:7000 a replica of 10.0.0.2:7000 instead of 10.0.0.1:7000'
 */
export function planMoveReplica({ replica, master, current, nodes, awaitReady = true, timeoutSeconds }: MoveReplicaPlanInput): Plan {
  const tuning = attachTuning([replica.address], [master.address]);
  const steps = buildSteps([
    step('tune_nodes', `Lower the node timeout of ${replica.address} so every node sees its new master at once, and the diskless sync delay of ${master.address} so its sync starts at once`,
      tuning),
    step('replicate_nodes', `Make ${replica.address} a replica of ${master.address}`, { pairs: [{ replica: replica.address, master }] }),
    waitTopologyStep(`Wait until every node sees ${replica.address} as a replica of ${master.address} and it is in sync`, {
      nodes, expect: [{ address: replica.address, role: 'replica', master: master.address }], absent: [], ready: awaitReady,
      ...(awaitReady ? {} : { inSync: [replica.address] }), timeoutSeconds,
    }),
    step('restore_config', `Restore the node timeout of ${replica.address} and the diskless sync delay of ${master.address}`, { nodes: tuning.nodes }),
  ]);
  const summary = current?.id === master.id
    ? `${replica.address} already replicates ${master.address}; nothing to change`
    : `make ${replica.address} a replica of ${master.address} instead of ${current?.address ?? 'its current master'}`;
  return plan('move_replica', summary, steps, { replicas: [{ replica, master }] });
}
