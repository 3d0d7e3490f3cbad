import type { MasterLoad } from './slotMove.ts';
import { countSlots, type SlotRange } from './slotRange.ts';
import { takeFirstSlots } from './slotSet.ts';

/**
 * Hands `slots` out to `receivers` by water-filling: the emptiest receives first, so every
 * receiver ends within one slot of the emptiest; each gets a contiguous run of the lowest slots
 * left, in the receivers' own order. Receivers that get nothing are left out. Shared by node
 * removal (a drained master's slots) and fix (slots no master serves).
 *
 * @example
 *   // a holds 8192, b holds 0; spread 100 slots: b gets them all
 *   spreadSlots([[0, 99]], [a, b]) // [{ to: b, slots: [[0, 99]] }]
 */
export function spreadSlots(slots: readonly SlotRange[], receivers: readonly MasterLoad[]): { to: MasterLoad; slots: SlotRange[] }[] {
  const total = countSlots(slots);
  if (total === 0 || receivers.length === 0) return [];
  const sorted = receivers
    .map((m, index) => ({ master: m, held: countSlots(m.slots), index }))
    .sort((a, b) => a.held - b.held || a.index - b.index);
  const gifts = waterFill(sorted.map((r) => r.held), total);
  let rest = slots;
  const out: { to: MasterLoad; slots: SlotRange[] }[] = [];
  // Hand out runs in the receivers' own order, so a plan reads in the order the caller listed them.
  const byInput = sorted.map((r, i) => ({ ...r, gift: gifts[i]! })).sort((a, b) => a.index - b.index);
  for (const r of byInput) {
    if (r.gift === 0) continue;
    const { taken, rest: left } = takeFirstSlots(rest, r.gift);
    rest = left;
    out.push({ to: r.master, slots: [...taken] });
  }
  return out;
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
