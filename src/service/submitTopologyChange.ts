import type { OperationView } from '../contract/operationView.ts';
import type { PlanView } from '../contract/planView.ts';
import type { Plan } from '../domain/plan.ts';
import type { ClusterRecord, ClusterSpec } from '../store/records.ts';
import { insertTopologyChange } from '../store/topologyChanges.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { queuedOperation, toPlanView } from './plans.ts';
import { toOperationView } from './toViews.ts';

/** A planned topology change, ready to be shown (dry run) or stored. */
export interface PlannedTopologyChange {
  readonly cluster: ClusterRecord;
  readonly plan: Plan;
  /** The desired topology once the change is done; stored with the queued operation. */
  readonly spec: ClusterSpec;
  /** Adding and removing nodes wait for no one: they are refused while another operation is pending. */
  readonly refuseWhileBusy: boolean;
}

/**
 * Answers a dry run with the plan (counting the keys a drain would move), or stores the new
 * desired topology together with the queued operation and wakes the worker.
 */
export async function submitTopologyChange(deps: ServiceDeps, caller: Caller, change: PlannedTopologyChange, dryRun: boolean): Promise<OperationView | PlanView> {
  if (dryRun) return toPlanView(deps, change.cluster, change.plan);
  const { event, ...operation } = queuedOperation(change.plan, caller, change.cluster.name);
  const op = await insertTopologyChange(deps.db, {
    cluster: change.cluster,
    spec: change.spec,
    refuseWhileBusy: change.refuseWhileBusy || caller.healing !== undefined,
    operation,
    event,
  });
  deps.operationQueued(op);
  return toOperationView(op);
}
