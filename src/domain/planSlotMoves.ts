import type { NodeRef } from './nodeRef.ts';
import type { OperationKind } from './operation.ts';
import { plan, type Plan } from './plan.ts';
import { slotsMovedBy, type SlotMove } from './slotMove.ts';
import { buildSteps, RECORD_SLOTS_STEP, step } from './steps.ts';

export interface SlotMovePlanInput {
  readonly kind: Extract<OperationKind, 'reshard' | 'rebalance'>;
  readonly moves: readonly SlotMove[];
  /** Every master now: checked before anything moves and told each new owner. */
  readonly masters: readonly NodeRef[];
  /** Overwrite keys that already exist on the target with different values (BUSYKEY). */
  readonly replace: boolean;
  /** Throttle of the key migration, all sources together; absent: as fast as the nodes go. */
  readonly maxKeysPerSecond?: number | undefined;
  readonly convergeTimeoutSeconds: number;
}

/**
 * The plan of a reshard or rebalance: check that nothing is open or unreachable, move the slots
 * with their keys (all sources in one step, so different sources run in parallel), wait until
 * every node agrees on the new owners, then record the slots each master serves in the desired
 * topology (a cleanup step: it also runs after a failure or a cancel). Empty moves are dropped.
 *
 * @example planSlotMoves({ kind: 'reshard', moves, masters, replace: false, convergeTimeoutSeconds: 60 }).summary
 *   // 'move 2730 slots in 1 moves'
 */
export function planSlotMoves({ kind, moves, masters, replace, maxKeysPerSecond, convergeTimeoutSeconds }: SlotMovePlanInput): Plan {
  const planned = moves.filter((m) => m.slotCount > 0);
  const total = slotsMovedBy(planned);
  const sources = new Set(planned.map((m) => m.from.id)).size;
  const refs = masters.map((m) => ({ id: m.id, address: m.address }));
  const steps = buildSteps([
    step('check_cluster', 'Check that every master is reachable and no slot is open', { masters: refs }),
    step('move_slots', `Move ${total} slots from ${sources} ${sources === 1 ? 'master' : 'masters'} with their keys${maxKeysPerSecond === undefined ? '' : ` (at most ${maxKeysPerSecond} keys/s)`}`,
      { moves: planned, masters: refs, replace, ...(maxKeysPerSecond === undefined ? {} : { maxKeysPerSecond }) }),
    step('wait_converged', 'Wait until every node agrees on the new slot owners', { timeoutSeconds: convergeTimeoutSeconds }),
    RECORD_SLOTS_STEP,
  ]);
  return plan(kind, `move ${total} slots in ${planned.length} moves`, steps, { moves: planned });
}
