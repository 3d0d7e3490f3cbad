import type { PlanView } from '../contract/planView.ts';
import { countNearSource, jobSlotsKey, plannedJobs } from '../domain/migrationJob.ts';
import type { ObservedNode } from '../domain/observedTopology.ts';
import type { Plan } from '../domain/plan.ts';
import type { Step } from '../domain/steps.ts';
import { slotsMovedBy } from '../domain/slotMove.ts';
import { countSlots } from '../domain/slotRange.ts';
import type { QueuedOperation, FirstEvent } from '../store/operations.ts';
import type { ClusterRecord } from '../store/records.ts';
import type { Caller, ServiceDeps } from './deps.ts';

/**
 * A dry run's answer for any plan: its steps, its moves with the keys their slots hold now (asked
 * of each source, read-only), its replica changes, shards and slot resolutions.
 */
export async function toPlanView(deps: ServiceDeps, cluster: Pick<ClusterRecord, 'name' | 'auth'>, plan: Plan): Promise<PlanView> {
  const moves = await Promise.all(plan.moves.map(async (m) => ({
    from: { ...m.from },
    to: { ...m.to },
    slots: m.slots.map((r) => [r[0], r[1]] as const),
    slotCount: m.slotCount,
    keys: await deps.countKeys(m.from.address, cluster.auth, m.slots),
    engine: plan.migration?.kind ?? 'keys',
  })));
  const migration = plan.migration && {
    engine: plan.migration.kind,
    ...(plan.migration.kind === 'atomic' ? { dialect: plan.migration.dialect } : {}),
    reason: plan.migration.reason,
  };
  return {
    dryRun: true,
    kind: plan.kind,
    cluster: cluster.name,
    summary: plan.summary,
    steps: plan.steps.map((s) => ({ id: s.id, kind: s.kind, title: s.title })),
    moves,
    migration,
    slotsTotal: slotsMovedBy(plan.moves),
    keysTotal: moves.reduce((n, m) => n + m.keys, 0),
    replicas: plan.replicas.map((r) => ({ replica: { ...r.replica }, master: { ...r.master } })),
    shards: plan.shards.map((s) => ({ index: s.index, master: s.master, replicas: [...s.replicas], slots: s.slots.map((r) => [r[0], r[1]] as const) })),
    resolutions: plan.resolutions.map((r) => ({ ...r })),
    assignments: plan.assignments.map((a) => ({ owner: { ...a.owner }, slots: a.slots.map((r) => [r[0], r[1]] as const), reason: a.reason })),
  };
}

/**
 * The queued operation a plan becomes, with its first progress (slots to move: the moves' slots,
 * or for a fix the open slots), its first event, and in an atomic `move_slots` step the jobs its
 * first batch will ask for (`planned`): stored with the operation, the first run asks for them
 * without a write of its own before.
 */
export function queuedOperation(plan: Plan, caller: Caller, clusterName: string): QueuedOperation & { event: FirstEvent } {
  const slotsTotal = plan.kind === 'fix' ? plan.resolutions.length + plan.assignments.reduce((n, a) => n + countSlots(a.slots), 0) : slotsMovedBy(plan.moves);
  return {
    kind: plan.kind,
    steps: plan.steps.map(withPlannedJobs),
    progress: {
      percent: 0, stepsDone: 0, stepsTotal: plan.steps.length, currentStep: null,
      ...(slotsTotal > 0 || plan.kind === 'reshard' || plan.kind === 'rebalance' || plan.kind === 'fix' ? { slotsMoved: 0, slotsTotal, keysMoved: 0 } : {}),
    },
    requestedBy: caller.name,
    event: caller.healing === undefined
      ? { type: 'operation_queued', message: `${plan.kind} ${clusterName}: ${plan.summary}` }
      : { type: 'operation_queued', message: `${plan.kind} ${clusterName} (healing): ${caller.healing}`, data: { healing: true, reason: caller.healing } },
  };
}

/** A step as stored with its operation: an atomic move step with the jobs of its first batch. */
function withPlannedJobs(step: Step): Step {
  if (step.kind !== 'move_slots' || step.params.engine?.kind !== 'atomic') return step;
  const jobs = plannedJobs(step.params.moves, step.params.engine.dialect, Date.now());
  return jobs.length > 0 ? { ...step, outputs: { jobs } } : step;
}

/**
 * Starts counting the keys in the slots of each atomic job an operation stores with its plan
 * (`steps` as `queuedOperation` made them), near its source as `nodes` (the look the plan was made
 * from) show it (`countNearSource`). By `jobSlotsKey`; empty without atomic jobs. The counts are
 * estimates for the jobs' events and progress, read-only: started before the operation is stored,
 * they run on the nodes while it is, where its run counted them as the first job started, and
 * the count (one short script, 4-9 ms of a node's thread for 2730 slots) took the CPU the job
 * needed on a machine the nodes share. A count nobody takes costs the node that much and nothing else.
 */
export function countFirstJobKeys(deps: ServiceDeps, cluster: Pick<ClusterRecord, 'auth'>, nodes: readonly ObservedNode[], steps: readonly Step[]): Map<string, Promise<number>> {
  const counts = new Map<string, Promise<number>>();
  for (const step of steps) {
    if (step.kind !== 'move_slots' || !step.outputs) continue;
    for (const job of step.outputs.jobs) {
      const counting = countNearSource(nodes, job, (address) => deps.countKeys(address, cluster.auth, job.slots));
      // Awaited by the run when it takes it; one it does not take must not fail the process.
      counting.catch(() => undefined);
      counts.set(jobSlotsKey(job), counting);
    }
  }
  return counts;
}
