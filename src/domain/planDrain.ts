import { countSlots } from './slotRange.ts';
import { slotMove, type MasterLoad, type SlotMove } from './slotMove.ts';
import { takeFirstSlots } from './slotSet.ts';

/**
 * Plans how a master about to be removed gives away all its slots: the targets of a rebalance in
 * which it has weight 0, except that only its own slots move. (A real weight-0 rebalance would
 * also even out the other masters against each other and so move more keys than the removal
 * needs; that stays a separate, explicit rebalance.)
 *
 * The slots go to the other masters that serve slots (to all other masters when none does), by
 * water-filling: the emptiest receives first, so every receiver ends within one slot of the
 * emptiest. Each receiver gets a contiguous run of the drained master's lowest remaining slots.
 * Throws a RangeError when `drainId` is not among `masters` or no other master exists.
 *
 * @example
 *   // a: 0-5460, b: 5461-10922, c: 10923-16383; drain c
 *   planDrain(masters, 'c') // [{ from: 'c', to: 'a', slots: [[10923, 13653]] }, { from: 'c', to: 'b', slots: [[13654, 16383]] }]
 */
export function planDrain(masters: readonly MasterLoad[], drainId: string): SlotMove[] {
  const source = masters.find((m) => m.id === drainId);
  if (source === undefined) throw new RangeError(`${drainId} is not a master`);
  const others = masters.filter((m) => m.id !== drainId);
  if (others.length === 0) throw new RangeError(`${source.address} is the last master`);
  const total = countSlots(source.slots);
  if (total === 0) return [];
  const serving = others.filter((m) => countSlots(m.slots) > 0);
  const receivers = (serving.length > 0 ? serving : others)
    .map((m, index) => ({ master: m, held: countSlots(m.slots), index }))
    .sort((a, b) => a.held - b.held || a.index - b.index);

  const gifts = waterFill(receivers.map((r) => r.held), total);
  let rest = source.slots;
  const moves: SlotMove[] = [];
  // Hand out runs in the masters' own order, so the plan reads in the order the caller listed them.
  const byInput = receivers.map((r, i) => ({ ...r, gift: gifts[i]! })).sort((a, b) => a.index - b.index);
  for (const r of byInput) {
    if (r.gift === 0) continue;
    const { taken, rest: left } = takeFirstSlots(rest, r.gift);
    rest = left;
    moves.push(slotMove(source, r.master, taken));
  }
  return moves;
}

/**
 * How many of `total` units each bin receives so the fullest bins end as low as possible:
 * `held` sorted ascending; the result is in the same order. Bins under the final level are
 * raised to it; the units left over (fewer than the bins at the level) go one each to the first.
 */
function waterFill(held: readonly number[], total: number): number[] {
  const need = (level: number): number => held.reduce((sum, h) => sum + Math.max(0, level - h), 0);
  let lo = held[0] ?? 0;
  let hi = (held[held.length - 1] ?? 0) + total;
  // Largest level whose filling fits in `total`.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (need(mid) <= total) lo = mid;
    else hi = mid - 1;
  }
  const gifts = held.map((h) => Math.max(0, lo - h));
  let left = total - need(lo);
  for (let i = 0; i < held.length && left > 0; i++) {
    if (held[i]! <= lo) {
      gifts[i]! += 1;
      left--;
    }
  }
  return gifts;
}
