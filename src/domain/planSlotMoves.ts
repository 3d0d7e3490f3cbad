import type { MigrationEngine } from './chooseMigration.ts';
import { checkServingMasters } from './masterQuorum.ts';
import type { OperationKind } from './operation.ts';
import { plan, type Plan } from './plan.ts';
import { applyMoves, slotsMovedBy, type MasterLoad, type SlotMove } from './slotMove.ts';
import { countSlots } from './slotRange.ts';
import { buildSteps, RECORD_SLOTS_STEP, step, type StepSpec } from './steps.ts';

export interface SlotMovePlanInput {
  readonly kind: Extract<OperationKind, 'reshard' | 'rebalance'>;
  readonly moves: readonly SlotMove[];
  /** Every master now with its slots: checked before anything moves and told each new owner. */
  readonly masters: readonly MasterLoad[];
  /** The addresses of each master's replicas, by master id (a master left empty keeps them). */
  readonly replicasOf: ReadonlyMap<string, readonly string[]>;
  /** MIGRATE timeout in ms (absent: the default). */
  readonly migrateTimeoutMs?: number | undefined;
  /** Allow a plan that leaves fewer than 3 masters serving slots (see `checkServingMasters`). */
  readonly allowFewerThanThreeMasters?: boolean | undefined;
  /** Overwrite keys that already exist on the target with different values (BUSYKEY). */
  readonly replace: boolean;
  /** Throttle of the key migration, all sources together; absent: as fast as the nodes go. */
  readonly maxKeysPerSecond?: number | undefined;
  readonly convergeTimeoutSeconds: number;
  /** How the slots travel (see `chooseMigration`); absent: key by key. */
  readonly engine?: MigrationEngine;
}

/**
 * The plan of a reshard or rebalance: check that nothing is open or unreachable, move the slots
 * with their keys (all sources in one step, so different sources run in parallel), wait until
 * every node agrees on the new owners, then record the slots each master serves in the desired
 * topology (a cleanup step: it also runs after a failure or a cancel). Empty moves are dropped.
 * A master the plan leaves without slots (weight 0, say) stays a master: replica migration is held
 * on it and its replicas for the move (Redis would otherwise make it a replica of the node that
 * took its last slot), and restored afterwards. Throws `too_few_masters` (see
 * `checkServingMasters`) unless allowed.
 *
 * @example planSlotMoves({ kind: 'reshard', moves, masters, replace: false, convergeTimeoutSeconds: 60 }).summary
 *   // 'move 2730 slots in 1 move'
 */
export function planSlotMoves(input: SlotMovePlanInput): Plan {
  const { kind, moves, masters, replace, maxKeysPerSecond, convergeTimeoutSeconds } = input;
  const planned = moves.filter((m) => m.slotCount > 0);
  const total = slotsMovedBy(planned);
  const sources = new Set(planned.map((m) => m.from.id)).size;
  const refs = masters.map((m) => ({ id: m.id, address: m.address }));
  const after = applyMoves(masters, planned);
  const serving = (ms: readonly MasterLoad[]) => ms.filter((m) => countSlots(m.slots) > 0).length;
  const note = checkServingMasters(serving(masters), serving(after), input.allowFewerThanThreeMasters === true);
  const emptied = masters.filter((m) => countSlots(m.slots) > 0 && countSlots(after.find((a) => a.id === m.id)!.slots) === 0);
  const held = emptied.flatMap((m) => [m.address, ...(input.replicasOf.get(m.id) ?? [])]);
  const specs: StepSpec[] = [
    step('check_cluster', 'Check that every master is reachable and no slot is open', { masters: refs }),
    ...(held.length > 0 ? [step('hold_replica_migration', `Keep ${emptied.map((m) => m.address).join(', ')} ${emptied.length === 1 ? 'a master' : 'masters'} when ${emptied.length === 1 ? 'it gives' : 'they give'} away the last slot`, { nodes: held })] : []),
    step('move_slots', `Move ${total} slots from ${sources} ${sources === 1 ? 'master' : 'masters'} with their keys${engineTitle(input.engine)}${maxKeysPerSecond === undefined || input.engine?.kind === 'atomic' ? '' : ` (at most ${maxKeysPerSecond} keys/s)`}`,
      {
        moves: planned, masters: refs, replace,
        ...(input.engine ? { engine: input.engine } : {}),
        ...(maxKeysPerSecond === undefined ? {} : { maxKeysPerSecond }),
        ...(input.migrateTimeoutMs === undefined ? {} : { migrateTimeoutMs: input.migrateTimeoutMs }),
      }),
    step('wait_converged', 'Wait until every node agrees on the new slot owners', { timeoutSeconds: convergeTimeoutSeconds }),
    RECORD_SLOTS_STEP,
    ...(held.length > 0 ? [step('restore_replica_migration', `Restore replica migration on ${held.join(', ')}`, {})] : []),
  ];
  const summary = [
    `move ${total} ${total === 1 ? 'slot' : 'slots'} in ${planned.length} ${planned.length === 1 ? 'move' : 'moves'}`,
    ...(emptied.length > 0 ? [`${emptied.map((m) => m.address).join(', ')} ${emptied.length === 1 ? 'stays a master' : 'stay masters'} without slots`] : []),
    ...(note ? [note] : []),
  ].join('; ');
  return plan(kind, summary, buildSteps(specs), { moves: planned, migration: planned.length > 0 ? input.engine ?? null : null });
}

/** How a move step's title names its engine: ` by atomic slot migration (Valkey)`, or nothing for keys. */
export function engineTitle(engine: MigrationEngine | undefined): string {
  if (engine?.kind !== 'atomic') return '';
  return ` by the servers' atomic slot migration (${engine.dialect === 'valkey' ? 'CLUSTER MIGRATESLOTS' : 'CLUSTER MIGRATION IMPORT'})`;
}
