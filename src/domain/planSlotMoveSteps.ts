import type { Step } from './operation.ts';
import { buildSteps, RECORD_SLOTS_STEP } from './topologySteps.ts';
import { countSlots, type SlotRange } from './slotRange.ts';
import type { MasterLoad, SlotMove } from './slotMove.ts';

/** One move as a step stores it: both ends by id and address, so the worker needs no lookup. */
export interface PlannedMove {
  readonly from: { readonly id: string; readonly address: string };
  readonly to: { readonly id: string; readonly address: string };
  readonly slots: readonly SlotRange[];
  readonly slotCount: number;
}

export interface SlotMovePlanInput {
  readonly moves: readonly SlotMove[];
  readonly masters: readonly MasterLoad[];
  /** Overwrite keys that already exist on the target with different values (BUSYKEY). */
  readonly replace: boolean;
  /** Throttle of the key migration, all sources together; absent: as fast as the nodes go. */
  readonly maxKeysPerSecond?: number;
  readonly convergeTimeoutSeconds: number;
}

/** Attaches addresses to the planner's moves (ids only), dropping empty ones. */
export function toPlannedMoves(moves: readonly SlotMove[], masters: readonly MasterLoad[]): PlannedMove[] {
  const addressOf = new Map(masters.map((m) => [m.id, m.address]));
  return moves
    .filter((m) => countSlots(m.slots) > 0)
    .map((m) => ({
      from: { id: m.from, address: addressOf.get(m.from) ?? '' },
      to: { id: m.to, address: addressOf.get(m.to) ?? '' },
      slots: m.slots,
      slotCount: countSlots(m.slots),
    }));
}

/**
 * The frozen steps of a reshard or rebalance: check that nothing is open or unreachable, move the
 * slots with their keys (all sources in one step, so different sources run in parallel), wait
 * until every node agrees on the new owners, then record the slots each master serves in the
 * desired topology (a cleanup step: it also runs after a failure or a cancel).
 */
export function planSlotMoveSteps({ moves, masters, replace, maxKeysPerSecond, convergeTimeoutSeconds }: SlotMovePlanInput): Step[] {
  const planned = toPlannedMoves(moves, masters);
  const total = planned.reduce((n, m) => n + m.slotCount, 0);
  const sources = new Set(planned.map((m) => m.from.id)).size;
  return buildSteps([
    ['check_cluster', 'Check that every master is reachable and no slot is open', { masters: masters.map((m) => ({ id: m.id, address: m.address })) }],
    ['move_slots', `Move ${total} slots from ${sources} ${sources === 1 ? 'master' : 'masters'} with their keys${maxKeysPerSecond === undefined ? '' : ` (at most ${maxKeysPerSecond} keys/s)`}`,
      { moves: planned, replace, ...(maxKeysPerSecond === undefined ? {} : { maxKeysPerSecond }) }],
    ['wait_converged', 'Wait until every node agrees on the new slot owners', { timeoutSeconds: convergeTimeoutSeconds }],
    RECORD_SLOTS_STEP,
  ]);
}
