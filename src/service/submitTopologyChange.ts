import type { OperationKind, Step } from '../domain/operation.ts';
import type { PlannedMove } from '../domain/planSlotMoveSteps.ts';
import { rangesToSlots } from '../domain/slotSet.ts';
import type { NodeRef } from '../domain/topologySteps.ts';
import type { ClusterRecord, ClusterSpec } from '../store/records.ts';
import { insertTopologyChange } from '../store/topologyChanges.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { toOperationView, type OperationView } from './views.ts';

/** What a dry run of a topology change answers: the exact plan, and nothing changed. */
export interface TopologyPlanView {
  dryRun: true;
  kind: OperationKind;
  cluster: string;
  /** One line for humans: what will happen. */
  summary: string;
  steps: { id: string; kind: string; title: string }[];
  /** Slots a removed master hands over, with the keys in them now. */
  moves: (PlannedMove & { keys: number })[];
  slotsTotal: number;
  keysTotal: number;
  /** Replicas that will follow a (new) master. */
  replicas: { replica: NodeRef; master: NodeRef }[];
}

/** A planned topology change, ready to be shown (dry run) or stored. */
export interface PlannedTopologyChange {
  readonly cluster: ClusterRecord;
  readonly kind: OperationKind;
  readonly summary: string;
  readonly steps: Step[];
  readonly spec: ClusterSpec;
  /** Adding and removing nodes wait for no one: they are refused while another operation is pending. */
  readonly refuseWhileBusy: boolean;
  readonly moves?: readonly PlannedMove[];
  readonly replicas?: readonly { replica: NodeRef; master: NodeRef }[];
}

/**
 * Answers a dry run with the plan (counting the keys a drain would move), or stores the new
 * desired topology together with the queued operation and wakes the worker.
 */
export async function submitTopologyChange(deps: ServiceDeps, caller: Caller, change: PlannedTopologyChange, dryRun: boolean): Promise<OperationView | TopologyPlanView> {
  const moves = change.moves ?? [];
  const slotsTotal = moves.reduce((n, m) => n + m.slotCount, 0);
  if (dryRun) {
    const withKeys = await Promise.all(moves.map(async (m) => ({
      ...m,
      keys: await deps.countKeys(m.from.address, change.cluster.auth, rangesToSlots(m.slots)),
    })));
    return {
      dryRun: true,
      kind: change.kind,
      cluster: change.cluster.name,
      summary: change.summary,
      steps: change.steps.map((s) => ({ id: s.id, kind: s.kind, title: s.title })),
      moves: withKeys,
      slotsTotal,
      keysTotal: withKeys.reduce((n, m) => n + m.keys, 0),
      replicas: (change.replicas ?? []).map((r) => ({ replica: { ...r.replica }, master: { ...r.master } })),
    };
  }
  const op = await insertTopologyChange(deps.db, {
    cluster: change.cluster,
    spec: change.spec,
    refuseWhileBusy: change.refuseWhileBusy,
    operation: {
      kind: change.kind,
      steps: change.steps,
      progress: {
        percent: 0, stepsDone: 0, stepsTotal: change.steps.length, currentStep: null,
        ...(slotsTotal > 0 ? { slotsMoved: 0, slotsTotal, keysMoved: 0 } : {}),
      },
      requestedBy: caller.name,
    },
    event: { type: 'operation_queued', message: `${change.kind} ${change.cluster.name}: ${change.summary}` },
  });
  deps.wakeWorker();
  return toOperationView(op);
}
