import { countSlots } from './slotRange.ts';
import { slotMove, type MasterLoad, type SlotMove } from './slotMove.ts';
import { spreadSlots } from './spreadSlots.ts';

/**
 * Plans how a master about to be removed gives away all its slots: the targets of a rebalance in
 * which it has weight 0, except that only its own slots move. (A real weight-0 rebalance would
 * also even out the other masters against each other and so move more keys than the removal
 * needs; that stays a separate, explicit rebalance.)
 *
 * The slots go to the other masters that serve slots (to all other masters when none does), by
 * water-filling (see `spreadSlots`): the emptiest receives first, so every receiver ends within
 * one slot of the emptiest. Each receiver gets a contiguous run of the drained master's lowest
 * remaining slots. Throws a RangeError when `drainId` is not among `masters` or no other master
 * exists.
 *
 * @example
 *   // a: 0-5460, b: 5461-10922, c: 10923-16383; drain c
 *   planDrain(masters, 'c') // [{ from: c, to: a, slots: [[10923, 13653]] }, { from: c, to: b, slots: [[13654, 16383]] }]
 */
export function planDrain(masters: readonly MasterLoad[], drainId: string): SlotMove[] {
  const source = masters.find((m) => m.id === drainId);
  if (source === undefined) throw new RangeError(`${drainId} is not a master`);
  const others = masters.filter((m) => m.id !== drainId);
  if (others.length === 0) throw new RangeError(`${source.address} is the last master`);
  const serving = others.filter((m) => countSlots(m.slots) > 0);
  return spreadSlots(source.slots, serving.length > 0 ? serving : others).map((gift) => slotMove(source, gift.to, gift.slots));
}
