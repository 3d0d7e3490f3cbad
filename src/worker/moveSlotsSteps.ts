import type { StepKind } from '../domain/operation.ts';
import type { PlannedMove } from '../domain/planSlotMoveSteps.ts';
import { rangesToSlots } from '../domain/slotSet.ts';
import { moveSlots } from '../redis/moveSlots.ts';
import { observeCluster } from '../redis/observeCluster.ts';
import { waitForReadiness } from '../redis/readiness.ts';
import type { StepExecutor } from './stepContext.ts';
import { StepFailure } from './stepFailure.ts';

/** Different sources migrate in parallel; one source never runs two MIGRATE streams at once. */
const SOURCE_CONCURRENCY = 4;

/** Before any slot moves: every planned master answers and no slot is open. */
const checkCluster: StepExecutor = async (ctx) => {
  const masters = (ctx.step.params.masters ?? []) as { id: string; address: string }[];
  const { nodes, unreachable } = await observeCluster(ctx.cluster.spec.nodes, ctx.cluster.auth ?? undefined);
  if (unreachable.length > 0) {
    throw new StepFailure('nodes_unreachable', `nodes are unreachable: ${unreachable.map((u) => `${u.address} (${u.reason})`).join(', ')}`, unreachable);
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const missing = masters.filter((m) => byId.get(m.id)?.role !== 'master');
  if (missing.length > 0) {
    throw new StepFailure('topology_changed', `the cluster changed since this operation was planned: ${missing.map((m) => `${m.address} is no longer a master`).join(', ')}`,
      missing.map((m) => ({ address: m.address, reason: 'no longer a master' })));
  }
  const open = nodes.flatMap((n) => [...n.migrating, ...n.importing].map((o) => ({ address: n.address, reason: `slot ${o.slot} is open` })));
  if (open.length > 0) throw new StepFailure('open_slots', `slots are open; run fix first: ${open.slice(0, 10).map((o) => `${o.address} (${o.reason})`).join(', ')}`, open);
  return { detail: `${nodes.length} nodes reachable, no open slots` };
};

/** Moves every planned slot with its keys; resumable, and stops at a safe point when cancelled. */
const moveSlotsStep: StepExecutor = async (ctx) => {
  const planned = (ctx.step.params.moves ?? []) as PlannedMove[];
  const replace = ctx.step.params.replace === true;
  const maxKeysPerSecond = typeof ctx.step.params.maxKeysPerSecond === 'number' ? ctx.step.params.maxKeysPerSecond : undefined;
  const slotsTotal = planned.reduce((n, m) => n + m.slotCount, 0);
  const masters = ((ctx.steps.find((s) => s.kind === 'check_cluster')?.params.masters ?? []) as { id: string; address: string }[]);
  // A resumed run continues the count of the run before it (up to its last stored progress).
  const keysBefore = ctx.keysMovedSoFar;
  ctx.reportProgress({ slotsMoved: ctx.operation.progress.slotsMoved ?? 0, slotsTotal, keysMoved: keysBefore });
  const result = await moveSlots(ctx.connections, planned.map((m) => ({ from: m.from, to: m.to, slots: rangesToSlots(m.slots) })), masters, {
    concurrency: SOURCE_CONCURRENCY,
    replace,
    ...(maxKeysPerSecond === undefined ? {} : { maxKeysPerSecond }),
    ...(ctx.cluster.auth ? { auth: ctx.cluster.auth } : {}),
    signal: ctx.signal,
    onProgress: (p) => ctx.reportProgress({ slotsMoved: p.slotsMoved, slotsTotal, keysMoved: keysBefore + p.keysMoved }),
  });
  ctx.reportProgress({ slotsMoved: result.slotsMoved + result.slotsAlreadyDone, slotsTotal, keysMoved: keysBefore + result.keysMoved });
  return { detail: `${result.slotsMoved} slots and ${result.keysMoved} keys moved${result.slotsAlreadyDone > 0 ? `, ${result.slotsAlreadyDone} slots already in place` : ''}` };
};

const waitConverged: StepExecutor = async (ctx) => {
  const timeoutSeconds = Number(ctx.step.params.timeoutSeconds);
  const clients = await ctx.connections.getAll(ctx.cluster.spec.nodes);
  const result = await waitForReadiness(clients, { timeoutMs: timeoutSeconds * 1000, signal: ctx.signal });
  if (!result.ready) {
    throw new StepFailure('not_converged', `the nodes did not agree within ${timeoutSeconds} s: ${result.problems.map((p) => `${p.address} (${p.reason})`).join(', ')}`, result.problems);
  }
  return { detail: 'every node agrees on the slot owners' };
};

/** The executor for every step kind of a reshard or rebalance. */
export const moveSlotsExecutors: Readonly<Partial<Record<StepKind, StepExecutor>>> = {
  check_cluster: checkCluster,
  move_slots: moveSlotsStep,
  wait_converged: waitConverged,
};
