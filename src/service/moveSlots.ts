import { setImmediate } from 'node:timers/promises';
import { z } from 'zod';
import { invalidInput, type FieldError } from '../domain/errors.ts';
import { escapePointer } from '../domain/jsonPointer.ts';
import { chooseMigration, MIGRATION_REQUESTS, type MigrationRequest } from '../domain/chooseMigration.ts';
import { planRebalance } from '../domain/planRebalance.ts';
import { planExplicitMoves, planMoveBySlotCount } from '../domain/planReshard.ts';
import { planSlotMoves } from '../domain/planSlotMoves.ts';
import type { MasterLoad, SlotMove } from '../domain/slotMove.ts';
import { CONVERGE_TIMEOUT_SECONDS, MIGRATE_TIMEOUT_MS } from '../domain/timeouts.ts';
import { validateThreshold, validateWeights } from '../domain/validateMoveRequests.ts';
import type { OperationView } from '../contract/operationView.ts';
import type { PlanView } from '../contract/planView.ts';
import { insertPlannedOperation } from '../store/operations.ts';
import type { ClusterRecord } from '../store/records.ts';
import { requireRole } from './authorize.ts';
import { atomicMastersOf, refuseWhileAtomicJobsRun } from './atomicJobsInFlight.ts';
import { findCluster } from './clusters.ts';
import { rememberAtomicMasters, startEarlyLook } from './earlyLook.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { observeMembers, requireMasters, type ClusterMembers } from './observeMembers.ts';
import { parseInput } from './parseInput.ts';
import { countFirstJobKeys, queuedOperation, toPlanView } from './plans.ts';
import { toOperationView } from './toViews.ts';

/** redis-cli's default rebalance threshold, in percent. */
const DEFAULT_THRESHOLD_PERCENT = 2;

const nodeRef = z.string().min(1).max(300);
/** MIGRATE timeout of each batch, for very large keys (redis-cli's `--cluster-timeout`). */
const migrateTimeoutMs = z.number().int('must be an integer').min(MIGRATE_TIMEOUT_MS.min, `must be at least ${MIGRATE_TIMEOUT_MS.min}`).max(MIGRATE_TIMEOUT_MS.max, `must be at most ${MIGRATE_TIMEOUT_MS.max}`).optional();
/** Throttle: keys moved per second at most, all sources together; unset moves as fast as the nodes go. */
const maxKeysPerSecond = z.number().int('must be an integer').min(1, 'must be at least 1').max(10_000_000, 'must be at most 10000000').optional();
/** How slots travel: `auto` (atomic where every end supports it), `atomic`, or `keys` (MIGRATE). */
export const migrationField = z.enum(MIGRATION_REQUESTS as [MigrationRequest, ...MigrationRequest[]]).optional();
/** The options every slot-moving request takes besides what to move. */
const moveOptions = {
  replace: z.boolean().optional(),
  maxKeysPerSecond,
  migrateTimeoutMs,
  migration: migrationField,
  allowFewerThanThreeMasters: z.boolean().optional(),
  dryRun: z.boolean().optional(),
};
const reshardInput = z.strictObject({
  to: nodeRef.optional(),
  from: z.array(nodeRef).min(1).max(1000).optional(),
  slots: z.number().int('must be an integer').min(1, 'must be at least 1').max(16384, 'must be at most 16384').optional(),
  moves: z.array(z.strictObject({
    slots: z.array(z.tuple([z.number().int(), z.number().int()])).min(1, 'must list at least one range').max(16384),
    to: nodeRef,
  })).min(1, 'must list at least one move').max(1000).optional(),
  ...moveOptions,
});

const rebalanceInput = z.strictObject({
  weights: z.record(z.string().max(300), z.number()).optional(),
  threshold: z.number().optional(),
  useEmptyMasters: z.boolean().optional(),
  ...moveOptions,
});

/**
 * Moves slots with their keys: `{to, from?, slots}` (from all other masters proportionally when
 * `from` is omitted) or `{moves: [{slots: [[a, b]], to}]}`. Nodes are named by id or `host:port`.
 */
export async function reshard(deps: ServiceDeps, caller: Caller, name: unknown, input: unknown): Promise<OperationView | PlanView> {
  requireRole(caller, 'operator');
  const req = parseInput(reshardInput, input);
  const byCount = req.to !== undefined || req.slots !== undefined || req.from !== undefined;
  if (byCount === (req.moves !== undefined)) {
    throw invalidInput([{ pointer: '', reason: 'give either "to" and "slots" (and optionally "from"), or "moves"' }]);
  }
  if (byCount && (req.to === undefined || req.slots === undefined)) {
    throw invalidInput([
      ...(req.to === undefined ? [{ pointer: '/to', reason: 'is required with "slots"' }] : []),
      ...(req.slots === undefined ? [{ pointer: '/slots', reason: 'is required with "to"' }] : []),
    ]);
  }
  const { cluster, cm, masters, lookedAt } = await observeMasters(deps, name);
  let moves: SlotMove[];
  if (req.moves) {
    const targets = requireMasters(req.moves.map((m, i) => ({ pointer: `/moves/${i}/to`, ref: m.to })), cm);
    moves = planExplicitMoves(masters, req.moves.map((m, i) => ({ slots: m.slots, to: targets[i]!.id })));
  } else {
    const [to, ...from] = requireMasters([
      { pointer: '/to', ref: req.to! },
      ...(req.from ?? []).map((ref, i) => ({ pointer: `/from/${i}`, ref })),
    ], cm).map((m) => m.id);
    moves = planMoveBySlotCount(masters, { to: to!, ...(req.from ? { from } : {}), slots: req.slots! });
  }
  return submit(deps, caller, { cluster, cm, kind: 'reshard', moves, masters, lookedAt }, req);
}

/** Evens out slots by weight (default 1 each) as redis-cli does, moving keys with them. */
export async function rebalance(deps: ServiceDeps, caller: Caller, name: unknown, input: unknown): Promise<OperationView | PlanView> {
  requireRole(caller, 'operator');
  const req = parseInput(rebalanceInput, input);
  const threshold = req.threshold ?? DEFAULT_THRESHOLD_PERCENT;
  const fieldErrors: FieldError[] = [...validateThreshold(threshold), ...(req.weights ? validateWeights(req.weights) : [])];
  if (fieldErrors.length > 0) throw invalidInput(fieldErrors);
  const { cluster, cm, masters, lookedAt } = await observeMasters(deps, name);
  const weightEntries = Object.entries(req.weights ?? {});
  const weighted = requireMasters(weightEntries.map(([ref]) => ({ pointer: `/weights/${escapePointer(ref)}`, ref })), cm);
  const weightOf = new Map(weighted.map((m, i) => [m.id, weightEntries[i]![1]]));
  const moves = planRebalance(masters.map((m) => ({ ...m, weight: weightOf.get(m.id) ?? 1 })), {
    thresholdPercent: threshold,
    useEmptyMasters: req.useEmptyMasters ?? false,
  });
  return submit(deps, caller, { cluster, cm, kind: 'rebalance', moves, masters, lookedAt }, req);
}

/**
 * The cluster, its members (after the checks of observeForChange) and its masters in address
 * order; refused while atomic migration jobs run on its masters, unless an operation of the
 * cluster runs them (the new one queues behind it).
 */
async function observeMasters(deps: ServiceDeps, name: unknown): Promise<{ cluster: ClusterRecord; cm: ClusterMembers; masters: MasterLoad[]; lookedAt: number }> {
  const early = startEarlyLook(deps, name);
  const lookedAt = Date.now();
  const cluster = await findCluster(deps, name);
  const look = early?.for(cluster);
  const cm = await observeMembers(deps, cluster, look ? { look } : {});
  rememberAtomicMasters(deps, cluster.name, atomicMastersOf(cm.observation));
  await refuseWhileAtomicJobsRun(deps, cluster, cm.observation, 'move slots', { queueBehind: true, early });
  const masters = cm.members
    .filter((m) => m.role === 'master')
    .map((m) => ({ id: m.id, address: m.address, slots: m.slots }))
    .sort((a, b) => a.address.localeCompare(b.address));
  return { cluster, cm, masters, lookedAt };
}

async function submit(
  deps: ServiceDeps, caller: Caller,
  { cluster, cm, kind, moves, masters, lookedAt }: { cluster: ClusterRecord; cm: ClusterMembers; kind: 'reshard' | 'rebalance'; moves: readonly SlotMove[]; masters: readonly MasterLoad[]; lookedAt: number },
  opts: {
    replace?: boolean | undefined; maxKeysPerSecond?: number | undefined; migrateTimeoutMs?: number | undefined; migration?: MigrationRequest | undefined;
    allowFewerThanThreeMasters?: boolean | undefined; dryRun?: boolean | undefined;
  },
): Promise<OperationView | PlanView> {
  const engine = chooseMigration(opts.migration ?? 'auto', moves, (id) => cm.observation.servers.get(id) ?? null, { maxKeysPerSecond: opts.maxKeysPerSecond });
  const replicasOf = new Map(masters.map((m) => [m.id, cm.members.filter((r) => r.role === 'replica' && r.masterId === m.id).map((r) => r.address)]));
  const plan = planSlotMoves({
    kind, moves, masters, replicasOf, replace: opts.replace ?? false, maxKeysPerSecond: opts.maxKeysPerSecond, migrateTimeoutMs: opts.migrateTimeoutMs,
    allowFewerThanThreeMasters: opts.allowFewerThanThreeMasters, convergeTimeoutSeconds: CONVERGE_TIMEOUT_SECONDS, engine,
  });
  if (opts.dryRun) return toPlanView(deps, cluster, plan);
  // On the embedded store the operation is inserted already claimed when it can start at once:
  // its run starts without another statement (the 202 then says `running`).
  const reservation = deps.reserveRun?.() ?? null;
  try {
    const queued = queuedOperation(plan, caller, cluster.name);
    // An operation that may start here at once has its first atomic jobs' keys counted while it is stored.
    const jobKeys = reservation ? countFirstJobKeys(deps, cluster, cm.observation.nodes, queued.steps) : new Map<string, Promise<number>>();
    const { operation: op, leftAlone } = await insertPlannedOperation(deps.db, { clusterId: cluster.id, clusterName: cluster.name, ...queued },
      Date.now() - lookedAt, reservation);
    // The look the plan was made from is what the first steps would read again at once, unless
    // another operation of the cluster may have changed the nodes since it was taken.
    deps.operationQueued(op, leftAlone ? { cluster, look: { ...cm.observation, jobKeys } } : undefined, op.status === 'running' ? reservation ?? undefined : undefined);
    // An operation inserted claimed has started its run: its first commands to the nodes (an
    // atomic job's ask) go out before the answer is turned into JSON and sent, which took 2-4 ms
    // of this thread here, the run's path to them being already resolved reads and the pool's
    // open connections.
    if (op.status === 'running') await setImmediate();
    return toOperationView(op);
  } finally {
    reservation?.release();
  }
}
