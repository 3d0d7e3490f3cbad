import type { Tunables, WaitTopologyParams } from './stepParams.ts';
import { step, type StepSpec } from './steps.ts';

/**
 * Lowered on a node whose role changes, for the duration of the change, and restored afterwards
 * (also on failure). Two Redis timers make a change slow to be seen, both driven by this value:
 * a master reports `cluster_state:ok` only a rejoin delay of min(max(node timeout, 500 ms), 5 s)
 * after it last was in the minority, which a lone new node always is; and the other nodes learn a
 * node's new role only from that node's own pings, which it sends each peer at least every
 * node timeout / 2 (7.5 s with the common 15 s). At 500 ms every node sees the new role within
 * ~0.3 s. Only the node that changes is tuned: the short timeout makes that one node quick to
 * suspect others, but marking a node as failed takes the reports of a majority of the masters,
 * so it cannot fail anyone over on its own.
 */
export const ROLE_CHANGE_TUNING: Tunables = { 'cluster-node-timeout': '500' };

/** The closing `wait_topology` step. */
export function waitTopologyStep(title: string, params: WaitTopologyParams): StepSpec<'wait_topology'> {
  return step('wait_topology', title, params);
}
