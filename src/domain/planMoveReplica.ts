import type { Step } from './operation.ts';
import { buildSteps, ROLE_CHANGE_TUNING, waitTopologyStep, type NodeRef } from './topologySteps.ts';

/**
 * The frozen steps that make `replica` follow `master`: lower its node timeout (see
 * ROLE_CHANGE_TUNING), `CLUSTER REPLICATE` (skipped when it already does), wait until every node
 * sees the new master and the replica is in sync, then restore the timeout (also on failure).
 */
export function planMoveReplica(input: { replica: NodeRef; master: NodeRef; nodes: readonly string[]; timeoutSeconds: number }): Step[] {
  const { replica, master, nodes, timeoutSeconds } = input;
  return buildSteps([
    ['tune_nodes', `Lower the node timeout of ${replica.address} so every node sees its new master at once`, { nodes: [replica.address], settings: ROLE_CHANGE_TUNING }],
    ['replicate_nodes', `Make ${replica.address} a replica of ${master.address}`, { pairs: [{ replica: replica.address, master }] }],
    waitTopologyStep(`Wait until every node sees ${replica.address} as a replica of ${master.address} and it is in sync`, {
      nodes, expect: [{ address: replica.address, role: 'replica', master: master.address }], absent: [], ready: true, timeoutSeconds,
    }),
    ['restore_config', `Restore the node timeout of ${replica.address}`, { nodes: [replica.address] }],
  ]);
}
