import { canReadDumpsOf, dumpIncompatibility } from '../domain/dumpCompatibility.ts';
import type { NodeRef } from '../domain/nodeRef.ts';
import { z } from 'zod';
import { DomainError } from '../domain/errors.ts';
import { isTerminal } from '../domain/operation.ts';
import { checkCluster } from '../domain/checkCluster.ts';
import { planCoverage } from '../domain/planCoverage.ts';
import { planFix, resolveOpenSlots, type MoveHistory } from '../domain/planFix.ts';
import { rangesToSlots } from '../domain/slotSet.ts';
import { isStepOf } from '../domain/steps.ts';
import { CONVERGE_TIMEOUT_SECONDS, MIGRATE_TIMEOUT_MS } from '../domain/timeouts.ts';
import type { OperationView } from '../contract/operationView.ts';
import type { PlanView } from '../contract/planView.ts';
import { listOperations, insertOperation } from '../store/operations.ts';
import { requireRole } from './authorize.ts';
import { findCluster } from './clusters.ts';
import type { Caller, Observation, ServiceDeps } from './deps.ts';
import { unreachableError } from './observeForChange.ts';
import { parseInput } from './parseInput.ts';
import { scanStrayKeys } from './strayKeys.ts';
import { findLeftSettings } from './leftSettings.ts';
import { refuseWhileAtomicJobsRun } from './atomicJobsInFlight.ts';
import { queuedOperation, toPlanView } from './plans.ts';
import { toOperationView } from './toViews.ts';

/** How far back the fix looks for the operation that opened a slot, or that left a setting changed (the check too). */
export const HISTORY_DEPTH = 100;

const fixInput = z.strictObject({
  dryRun: z.boolean().optional(),
  replace: z.boolean().optional(),
  migrateTimeoutMs: z.number().int('must be an integer').min(MIGRATE_TIMEOUT_MS.min, `must be at least ${MIGRATE_TIMEOUT_MS.min}`).max(MIGRATE_TIMEOUT_MS.max, `must be at most ${MIGRATE_TIMEOUT_MS.max}`).optional(),
});

/**
 * Repairs the slot map: `{dryRun?, replace?}`.
 * - Slots no master serves are given out (see `planCoverage`): to the master holding their keys
 *   (the one holding most; the others' keys move there), else spread over the emptiest masters.
 * - Open (migrating/importing) slots are closed. Unlike `redis-cli --cluster fix`, this does not
 *   guess: the operation history says which move opened each slot and where it was going, so that
 *   move is finished; a slot no operation of ours opened is rolled back to the master serving it.
 * With `replace`, keys that both sides of a move hold with different values (BUSYKEY) are
 * overwritten by the moving copy (finishing: the old owner's; rolling back: the importing node's)
 * instead of failing `busy_keys`. Settings that finished operations lowered for their duration and
 * could not put back (see `findLeftSettings`) are put back first. Refused while an operation of the cluster is still queued or
 * running (its slots are open on purpose), while an atomic migration job runs on its masters
 * (`atomic_migration_running`), and while a node of the cluster is unreachable.
 */
export async function fixCluster(deps: ServiceDeps, caller: Caller, name: unknown, input: unknown): Promise<OperationView | PlanView> {
  requireRole(caller, 'operator');
  const req = parseInput(fixInput, input);
  const cluster = await findCluster(deps, name);
  const recent = await listOperations(deps.db, { clusterName: cluster.name, pageSize: HISTORY_DEPTH });
  const busy = recent.items.find((op) => !isTerminal(op.status));
  if (busy) {
    throw new DomainError('precondition', 'operation_in_progress', `operation ${busy.id} (${busy.kind}) of cluster "${cluster.name}" is ${busy.status}; fix it after it ends, or cancel it`);
  }
  const observation = await deps.observe(cluster.spec.nodes, cluster.auth);
  if (observation.unreachable.length > 0) {
    throw unreachableError(observation.unreachable, 'fix');
  }
  // An atomic job moves its slots by itself and ends with them whole on one side: nothing to repair,
  // and its target's keys must not be taken for strays. Whoever started it (by hand, or an operation
  // that was cancelled while the servers finish), the fix waits.
  await refuseWhileAtomicJobsRun(deps, cluster, observation, 'fix');
  // Only masters that answered now take slots or are told of new owners (a dead one keeps nothing).
  const live = new Set(observation.reached.map((r) => r.nodeId));
  const masters = observation.nodes.filter((n) => n.role === 'master' && live.has(n.id));
  const uncovered = rangesToSlots(checkCluster(observation.nodes, observation.views, observation.unreachable).uncoveredSlots);
  const keys = new Map(await Promise.all(masters.map(async (m) => [m.id, uncovered.length === 0 ? [] : await deps.keysPerSlot(m.address, cluster.auth, uncovered)] as const)));
  const index = new Map(uncovered.map((slot, i) => [slot, i]));
  const covered = planCoverage(uncovered, masters, (id, slot) => keys.get(id)?.[index.get(slot) ?? -1] ?? 0);
  // Keys on a master in a slot it neither serves nor imports, in a slot some master serves: they go to that master.
  const strays = (await scanStrayKeys(deps, cluster, observation, observation.reached.filter((r) => masters.some((m) => m.id === r.nodeId))))
    .flatMap((holder) => holder.slots.flatMap(({ slot, keys: count }) => {
      const owner = masters.find((m) => m.slots.some(([s, e]) => s <= slot && slot <= e));
      return owner ? [{ slot, from: { id: holder.nodeId, address: holder.address }, to: { id: owner.id, address: owner.address }, keys: count }] : [];
    }));
  const coverage = { assignments: covered.assignments, strays: [...covered.strays, ...strays] };
  const open = [...new Set(observation.nodes.flatMap((n) => [...n.migrating, ...n.importing].map((o) => o.slot)))].sort((a, b) => a - b);
  const history: MoveHistory[] = recent.items.map((op) => ({
    operationId: op.id,
    kind: op.kind,
    status: op.status,
    moves: op.steps.find(isStepOf('move_slots'))?.params.moves ?? [],
  }));
  const ownerOf = (slot: number) => {
    const owner = masters.find((m) => m.slots.some(([s, e]) => s <= slot && slot <= e))
      ?? coverage.assignments.find((a) => a.slots.some(([s, e]) => s <= slot && slot <= e))?.owner;
    return owner ? { id: owner.id, address: owner.address } : null;
  };
  const { resolutions, unresolved } = resolveOpenSlots(open, history, ownerOf);
  if (unresolved.length > 0) {
    throw new DomainError('precondition', 'open_slot_unresolvable', `cannot decide where these slots belong: ${unresolved.map((u) => `${u.slot} (${u.reason})`).join(', ')}`);
  }
  requireReadableDumpsForFix(observation, [
    ...coverage.strays.map((st) => ({ from: st.from, to: st.to })),
    ...resolutions.flatMap((r) => observation.nodes
      .filter((n) => n.id !== r.ownerId && [...n.migrating, ...n.importing].some((o) => o.slot === r.slot))
      .map((n) => ({ from: { id: n.id, address: n.address }, to: { id: r.ownerId, address: r.ownerAddress } }))),
  ]);
  const leftSettings = await findLeftSettings(deps, cluster, observation, recent.items);
  const plan = planFix({
    resolutions, coverage, masters: masters.map((m) => ({ id: m.id, address: m.address })), replace: req.replace ?? false,
    migrateTimeoutMs: req.migrateTimeoutMs, convergeTimeoutSeconds: CONVERGE_TIMEOUT_SECONDS, leftSettings,
  });
  if (req.dryRun) return toPlanView(deps, cluster, plan);
  const op = await insertOperation(deps.db, { clusterId: cluster.id, clusterName: cluster.name, ...queuedOperation(plan, caller, cluster.name) });
  deps.operationQueued(op);
  return toOperationView(op);
}

/**
 * Refuses (409 `dump_format_incompatible`) a fix whose keys would have to move toward a node that
 * cannot load the holder's DUMP format (a mixed cluster, see `canReadDumpsOf`): MIGRATE would fail
 * on the first key. The way out is upgrading the receiving node, which the message says.
 */
function requireReadableDumpsForFix(observation: Observation, keyMoves: readonly { from: NodeRef; to: NodeRef }[]): void {
  for (const { from, to } of keyMoves) {
    const [source, target] = [observation.servers.get(from.id), observation.servers.get(to.id)];
    if (source && target && !canReadDumpsOf(target, source)) {
      throw new DomainError('precondition', 'dump_format_incompatible',
        `${dumpIncompatibility(from.address, source, to.address, target)}; the fix would have to move keys that way: upgrade ${to.address} to the same or a newer server first`);
    }
  }
}
