import type { StepParams, Tunables, WaitTopologyParams } from './stepParams.ts';
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

/**
 * Lowered on a master a replica is about to sync from, for the duration of the change: with
 * diskless sync (the default of Redis 7 and 8 and Valkey), a master waits
 * `repl-diskless-sync-delay` (5 s by default) for more replicas before it starts a full sync, so
 * every replica added, moved or re-pointed waited 5 s before its first byte. The replicas an
 * operation attaches ask at once, so there is no one to wait for.
 */
export const REPLICA_SYNC_TUNING: Tunables = { 'repl-diskless-sync-delay': '0' };

/**
 * The `tune_nodes` parameters of an operation that attaches `replicas` to `masters` (addresses):
 * the node timeout lowered on the replicas (see ROLE_CHANGE_TUNING), the diskless sync delay on
 * the masters they will sync from (see REPLICA_SYNC_TUNING). A node that is both gets both.
 */
export function attachTuning(replicas: readonly string[], masters: readonly string[]): StepParams['tune_nodes'] {
  const nodes = [...new Set([...replicas, ...masters])];
  const settingsOf: Record<string, Tunables> = {};
  for (const m of new Set(masters)) settingsOf[m] = replicas.includes(m) ? { ...ROLE_CHANGE_TUNING, ...REPLICA_SYNC_TUNING } : REPLICA_SYNC_TUNING;
  return { nodes, settings: ROLE_CHANGE_TUNING, settingsOf };
}

/** The closing `wait_topology` step. */
export function waitTopologyStep(title: string, params: WaitTopologyParams): StepSpec<'wait_topology'> {
  return step('wait_topology', title, params);
}
