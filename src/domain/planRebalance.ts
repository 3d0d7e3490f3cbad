import { DomainError, invalidInput } from './errors.ts';
import type { FieldError } from './errors.ts';
import { countSlots, SLOT_COUNT } from './slotRange.ts';
import { slotMove, type MasterLoad, type SlotMove } from './slotMove.ts';
import { takeFirstSlots } from './slotSet.ts';

/** A master with its rebalance weight (redis-cli's default is 1; 0 drains the master). */
export interface WeightedMaster extends MasterLoad {
  readonly weight: number;
}

export interface RebalanceOptions {
  /** Rebalance only when some master is off its target by more than this percent of what it holds (redis-cli default 2). */
  readonly thresholdPercent: number;
  /** Let masters that serve no slots take part (redis-cli `--cluster-use-empty-masters`). */
  readonly useEmptyMasters: boolean;
}

/** Where one master taking part in a rebalance stands. */
export interface RebalanceTarget {
  readonly id: string;
  readonly held: number;
  /** Its exact weighted share of the 16384 slots. */
  readonly share: number;
  /** The whole number of slots it ends with: its share rounded so that all targets add up to 16384. */
  readonly target: number;
}

/**
 * Computes each taking-part master's target slot count, as redis-cli's rebalance does: masters
 * without slots take part only with `useEmptyMasters`, each gets `16384 * weight / totalWeight`
 * rounded down. redis-cli then hands the slots lost to rounding to the first receivers in list
 * order, which makes a second run move single slots back and forth at threshold 0. Here they go
 * first to masters already holding more than their rounded-down share (so fewer slots move), then
 * to the largest fractions, then in list order; replanning a balanced cluster then moves nothing.
 * Without `useEmptyMasters` a master whose target comes to 0 is left out of the total weight (it
 * takes no part in the next rebalance either), and the others' targets are worked out again.
 */
export function rebalanceTargets(masters: readonly WeightedMaster[], useEmptyMasters: boolean): RebalanceTarget[] {
  const involved = masters.filter((m) => useEmptyMasters || countSlots(m.slots) > 0);
  const errors: FieldError[] = masters
    .filter((m) => !Number.isFinite(m.weight) || m.weight < 0)
    .map((m) => ({ pointer: '/weights', reason: `weight of ${m.address} must be a finite number >= 0, got ${m.weight}` }));
  const totalWeight = involved.reduce((sum, m) => sum + m.weight, 0);
  if (errors.length === 0 && !(totalWeight > 0)) {
    errors.push({ pointer: '/weights', reason: 'every master taking part has weight 0: no master is left to hold the slots' });
  }
  if (errors.length > 0) throw invalidInput(errors);

  // Without `useEmptyMasters`, a master that ends with no slot takes no part in the next
  // rebalance: the shares are worked out again without it until none more ends empty, so that
  // rebalancing the result moves nothing (a master with a tiny weight, drained, pulled the others'
  // shares a hair down, a floor by one, and the next rebalance moved a slot: the property test).
  let sharing = involved;
  let rows = targetsAmong(sharing, involved);
  for (;;) {
    const ending = useEmptyMasters ? sharing : sharing.filter((m) => rows.find((r) => r.id === m.id)!.target > 0);
    if (ending.length === sharing.length || ending.length === 0) break;
    sharing = ending;
    rows = targetsAmong(sharing, involved);
  }
  return rows;
}

/**
 * The targets of `involved` when the slots are shared among `sharing` (the others get none):
 * each sharing master's `16384 * weight / totalWeight` rounded down, then the slots lost to
 * rounding handed out as {@link rebalanceTargets} says.
 */
function targetsAmong(sharing: readonly WeightedMaster[], involved: readonly WeightedMaster[]): RebalanceTarget[] {
  const totalWeight = sharing.reduce((sum, m) => sum + m.weight, 0);
  const rows = involved.map((m, index) => {
    const share = sharing.includes(m) ? (SLOT_COUNT * m.weight) / totalWeight : 0;
    // A share a hair below an integer (float division) counts as that integer.
    return { index, id: m.id, held: countSlots(m.slots), share, target: Math.floor(share + 1e-9), weight: sharing.includes(m) ? m.weight : 0 };
  });
  // Float division can land a hair off an integer, so the leftover may also be negative.
  let left = SLOT_COUNT - rows.reduce((sum, r) => sum + r.target, 0);
  const holdsMore = (r: (typeof rows)[number]): number => Number(r.held > r.target);
  const fraction = (r: (typeof rows)[number]): number => r.share - r.target;
  const preferred = rows
    .filter((r) => r.weight > 0)
    .sort((a, b) => holdsMore(b) - holdsMore(a) || fraction(b) - fraction(a) || a.index - b.index);
  const n = preferred.length;
  for (let i = 0; left > 0; i++, left--) preferred[i % n]!.target += 1;
  for (let i = n - 1; left < 0; i--) {
    const row = preferred[((i % n) + n) % n]!;
    if (row.target > 0) {
      row.target -= 1;
      left++;
    }
  }
  return rows.map(({ id, held, share, target }) => ({ id, held, share, target }));
}

/**
 * Plans a rebalance by slot count with redis-cli's algorithm (`clusterManagerCommandRebalance`):
 * targets from {@link rebalanceTargets}; nothing to do when every master taking part is within
 * `thresholdPercent` (`|100 - 100 * target / held|`, a master without slots but with a target is
 * always over); otherwise the master that must gain most takes from the one that must give most,
 * pair by pair, each source giving its lowest-numbered slots first. Node ids throughout; throws an
 * `invalid` DomainError (pointers `/threshold`, `/weights`) for bad options and a `precondition`
 * one (`slots_not_covered`) unless the masters serve all 16384 slots.
 *
 * @example
 *   // 3 masters with 5461/5462/5461 slots plus an empty one, useEmptyMasters: every one ends with 4096
 *   planRebalance(masters, { thresholdPercent: 2, useEmptyMasters: true })
 */
export function planRebalance(masters: readonly WeightedMaster[], opts: RebalanceOptions): SlotMove[] {
  const threshold = opts.thresholdPercent;
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 100) {
    throw invalidInput([{ pointer: '/threshold', reason: `must be a number between 0 and 100, got ${threshold}` }]);
  }
  // Like redis-cli, which checks the cluster first: with slots unserved (or served twice) the
  // balances cannot add up, and moving slots would not fix that anyway.
  const served = masters.reduce((sum, m) => sum + countSlots(m.slots), 0);
  if (served !== SLOT_COUNT) {
    const message = `the masters serve ${served} of ${SLOT_COUNT} slots; fix the cluster before rebalancing`;
    throw new DomainError('precondition', 'slots_not_covered', message);
  }
  const targets = rebalanceTargets(masters, opts.useEmptyMasters);
  const overThreshold = targets.some(({ held, target }) =>
    held > 0 ? Math.abs(100 - (100 * target) / held) > threshold : target > 0,
  );
  if (!overThreshold) return [];

  const slotsOf = new Map(masters.map((m) => [m.id, m.slots]));
  const byId = new Map(masters.map((m) => [m.id, m]));
  const ordered = targets.map((t, index) => ({ ...t, index, balance: t.held - t.target }));
  // redis-cli sorts by balance and walks receivers from the front, givers from the back.
  const receivers = ordered.filter((t) => t.balance < 0).sort((a, b) => a.balance - b.balance || a.index - b.index);
  const givers = ordered.filter((t) => t.balance > 0).sort((a, b) => b.balance - a.balance || b.index - a.index);
  const moves: SlotMove[] = [];
  let g = 0;
  for (const receiver of receivers) {
    let need = -receiver.balance;
    while (need > 0) {
      const giver = givers[g]!;
      const count = Math.min(need, giver.balance);
      const { taken, rest } = takeFirstSlots(slotsOf.get(giver.id)!, count);
      slotsOf.set(giver.id, rest);
      moves.push(slotMove(byId.get(giver.id)!, byId.get(receiver.id)!, taken));
      giver.balance -= count;
      need -= count;
      if (giver.balance === 0) g++;
    }
  }
  return moves;
}
