import { z } from 'zod';
import { DomainError } from '../domain/errors.ts';
import { isTerminal } from '../domain/operation.ts';
import { planFix, resolveOpenSlots, type MoveHistory } from '../domain/planFix.ts';
import { isStepOf } from '../domain/steps.ts';
import { CONVERGE_TIMEOUT_SECONDS } from '../domain/timeouts.ts';
import type { OperationView } from '../contract/operationView.ts';
import type { PlanView } from '../contract/planView.ts';
import { listOperations, insertOperation } from '../store/operations.ts';
import { requireRole } from './authorize.ts';
import { findCluster } from './clusters.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { unreachableError } from './observeForChange.ts';
import { parseInput } from './parseInput.ts';
import { queuedOperation, toPlanView } from './plans.ts';
import { toOperationView } from './toViews.ts';

/** How far back the fix looks for the operation that opened a slot. */
const HISTORY_DEPTH = 100;

const fixInput = z.strictObject({ dryRun: z.boolean().optional() });

/**
 * Closes open (migrating/importing) slots. Unlike `redis-cli --cluster fix`, it does not guess: the
 * operation history says which move opened each slot and where it was going, so that move is
 * finished; a slot no operation of ours opened is rolled back to the master serving it now.
 * Refused while an operation of the cluster is still queued or running (its slots are open on purpose).
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
  const masters = observation.nodes.filter((n) => n.role === 'master');
  const open = [...new Set(observation.nodes.flatMap((n) => [...n.migrating, ...n.importing].map((o) => o.slot)))].sort((a, b) => a - b);
  const history: MoveHistory[] = recent.items.map((op) => ({
    operationId: op.id,
    kind: op.kind,
    status: op.status,
    moves: op.steps.find(isStepOf('move_slots'))?.params.moves ?? [],
  }));
  const ownerOf = (slot: number) => {
    const owner = masters.find((m) => m.slots.some(([s, e]) => s <= slot && slot <= e));
    return owner ? { id: owner.id, address: owner.address } : null;
  };
  const { resolutions, unresolved } = resolveOpenSlots(open, history, ownerOf);
  if (unresolved.length > 0) {
    throw new DomainError('precondition', 'open_slot_unresolvable', `cannot decide where these slots belong: ${unresolved.map((u) => `${u.slot} (${u.reason})`).join(', ')}`);
  }
  const plan = planFix(resolutions, masters.map((m) => ({ id: m.id, address: m.address })), CONVERGE_TIMEOUT_SECONDS);
  if (req.dryRun) return toPlanView(deps, cluster, plan);
  const op = await insertOperation(deps.db, { clusterId: cluster.id, clusterName: cluster.name, ...queuedOperation(plan, caller, cluster.name) });
  deps.wakeWorker();
  return toOperationView(op);
}
