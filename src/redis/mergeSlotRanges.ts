import { SLOT_COUNT, type SlotRange } from '../domain/slotRange.ts';

/**
 * Sorts ranges and merges overlapping or adjacent ones, so two lists covering the same slots
 * compare equal.
 *
 * @example mergeSlotRanges([[5, 9], [0, 4], [7, 12]]) // [[0, 12]]
 */
export function mergeSlotRanges(ranges: readonly SlotRange[]): SlotRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = merged.at(-1);
    if (last && start <= last[1] + 1) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/** The ranges of slots `s` for which `test(s)` holds, in order. */
export function slotRangesWhere(test: (slot: number) => boolean): SlotRange[] {
  const ranges: SlotRange[] = [];
  let start = -1;
  for (let slot = 0; slot <= SLOT_COUNT; slot++) {
    const inside = slot < SLOT_COUNT && test(slot);
    if (inside && start < 0) start = slot;
    if (!inside && start >= 0) {
      ranges.push([start, slot - 1]);
      start = -1;
    }
  }
  return ranges;
}
