import { moveSlots } from '../redis/moveSlots.ts';
import { observeCluster } from '../redis/observeCluster.ts';
import { waitForReadiness } from '../redis/readiness.ts';
import type { ExecutorsOf, StepExecutor } from './stepContext.ts';
import { MIGRATE_TIMEOUT_MS } from '../domain/timeouts.ts';
import { keyMoveFailure } from './keyMoveFailure.ts';
import { withMigrateConnections } from './migrateConnections.ts';
import { explainNotReady, listProblems } from '../redis/explainNotReady.ts';
import { StepFailure } from './stepFailure.ts';
import { moveSlotsAtomically } from './atomicMoveSlots.ts';

/**
 * Before any slot moves: every planned master answers and no slot is open. Right after planning,
 * the look the plan was made from answers this (planning refused unreachable nodes and open slots).
 */
const checkCluster: StepExecutor<'check_cluster'> = async (ctx) => {
  const { masters } = ctx.step.params;
  const { nodes, unreachable } = ctx.plannedLook ?? await observeCluster(ctx.cluster.spec.nodes, ctx.cluster.auth ?? undefined, { connections: ctx.connections });
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
  return { detail: `${nodes.length} nodes reachable, no open slots${ctx.plannedLook ? ' (as planned just before)' : ''}` };
};

/** Moves every planned slot with its keys; resumable, and stops at a safe point when cancelled. */
const moveSlotsStep: StepExecutor<'move_slots'> = async (ctx) => {
  const { moves, masters, replace, maxKeysPerSecond, migrateTimeoutMs = MIGRATE_TIMEOUT_MS.default, engine } = ctx.step.params;
  if (engine?.kind === 'atomic') return moveSlotsAtomically(ctx, engine.dialect);
  const slotsTotal = moves.reduce((n, m) => n + m.slotCount, 0);
  // A resumed run continues the count of the run before it (up to its last stored progress).
  const keysBefore = ctx.keysMovedSoFar;
  ctx.reportProgress({ slotsMoved: ctx.operation.progress.slotsMoved ?? 0, slotsTotal, keysMoved: keysBefore });
  const result = await withMigrateConnections(ctx, migrateTimeoutMs, (connections) => moveSlots(connections, moves, masters, {
    replace,
    timeoutMs: migrateTimeoutMs,
    ...(maxKeysPerSecond === undefined ? {} : { maxKeysPerSecond }),
    ...(ctx.cluster.auth ? { auth: ctx.cluster.auth } : {}),
    signal: ctx.signal,
    onProgress: (p) => ctx.reportProgress({ slotsMoved: p.slotsMoved, slotsTotal, keysMoved: keysBefore + p.keysMoved }),
  })).catch((err: unknown) => {
    throw keyMoveFailure(err, ctx.operation.kind, ctx.cluster.name, { replace, migrateTimeoutMs }) ?? err;
  });
  ctx.reportProgress({ slotsMoved: result.slotsMoved + result.slotsAlreadyDone, slotsTotal, keysMoved: keysBefore + result.keysMoved });
  return { detail: `${result.slotsMoved} slots and ${result.keysMoved} keys moved${result.slotsAlreadyDone > 0 ? `, ${result.slotsAlreadyDone} slots already in place` : ''}` };
};

const waitConverged: StepExecutor<'wait_converged'> = async (ctx) => {
  const { timeoutSeconds } = ctx.step.params;
  const clients = await ctx.connections.getAll(ctx.cluster.spec.nodes);
  // The round that sees the nodes agree is also the look at the settled cluster (see StepContext.noteLook).
  const result = await waitForReadiness(clients, { timeoutMs: timeoutSeconds * 1000, signal: ctx.signal, look: true });
  if (result.ready && result.look) ctx.noteLook(result.look);
  if (!result.ready) {
    const nodes = await explainNotReady(ctx.connections, result.problems);
    throw new StepFailure('not_converged', `the nodes did not agree within ${timeoutSeconds} s: ${listProblems(nodes)}`, nodes);
  }
  return { detail: 'every node agrees on the slot owners' };
};

/** The executors of the steps that move slots (reshard, rebalance, a removal's drain). */
export const moveSlotsExecutors: ExecutorsOf<'check_cluster' | 'move_slots' | 'wait_converged'> = {
  check_cluster: checkCluster,
  move_slots: moveSlotsStep,
  wait_converged: waitConverged,
};
