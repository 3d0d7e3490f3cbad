import type { FieldError } from './errors.ts';
import { MAX_SLOT, SLOT_COUNT } from './slotRange.ts';
import type { SlotRange } from './slotRange.ts';

/**
 * Expands ranges into their slot numbers, sorted ascending, each once (overlaps collapse).
 *
 * @example
 *   rangesToSlots([[5, 6], [1, 1]]) // [1, 5, 6]
 */
export function rangesToSlots(ranges: readonly SlotRange[]): number[] {
  const slots: number[] = [];
  for (const [start, end] of normaliseRanges(ranges)) {
    for (let s = start; s <= end; s++) slots.push(s);
  }
  return slots;
}

/**
 * Turns slot numbers (any order, repeats allowed) into sorted, merged ranges.
 *
 * @example
 *   slotsToRanges([3, 1, 2, 7, 2]) // [[1, 3], [7, 7]]
 */
export function slotsToRanges(slots: readonly number[]): SlotRange[] {
  const sorted = [...slots].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const slot of sorted) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && slot <= last[1] + 1) last[1] = Math.max(last[1], slot);
    else ranges.push([slot, slot]);
  }
  return ranges;
}

/**
 * Sorts ranges and merges the ones that overlap or touch.
 *
 * @example
 *   normaliseRanges([[10, 12], [0, 3], [4, 4]]) // [[0, 4], [10, 12]]
 */
export function normaliseRanges(ranges: readonly SlotRange[]): SlotRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && start <= last[1] + 1) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/**
 * The slots of `ranges` that are not in `minus`, as sorted, merged ranges; works range by range
 * (a few thousand slots cost as little as one), where a filter slot by slot ran ~2 ms of the
 * start of every atomic move here, its code never warm enough to be compiled.
 *
 * @example
 *   subtractRanges([[0, 9], [20, 29]], [[5, 24]]) // [[0, 4], [25, 29]]
 */
export function subtractRanges(ranges: readonly SlotRange[], minus: readonly SlotRange[]): SlotRange[] {
  const cut = normaliseRanges(minus);
  const left: SlotRange[] = [];
  let i = 0;
  for (const [start, end] of normaliseRanges(ranges)) {
    let from = start;
    // Skip the cuts that end before this range; the ones after it are kept for the next range.
    while (i < cut.length && cut[i]![1] < from) i++;
    for (let j = i; j < cut.length && cut[j]![0] <= end && from <= end; j++) {
      const [a, b] = cut[j]!;
      if (a > from) left.push([from, a - 1]);
      from = Math.max(from, b + 1);
    }
    if (from <= end) left.push([from, end]);
  }
  return left;
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

/**
 * Splits ranges into their first `count` slots (in ascending slot order) and the rest, the way
 * redis-cli's reshard table takes the lowest-numbered slots of a source first.
 *
 * @example
 *   takeFirstSlots([[0, 9], [20, 29]], 12) // { taken: [[0, 9], [20, 21]], rest: [[22, 29]] }
 */
export function takeFirstSlots(ranges: readonly SlotRange[], count: number): { taken: SlotRange[]; rest: SlotRange[] } {
  const taken: SlotRange[] = [];
  const rest: SlotRange[] = [];
  let left = count;
  for (const [start, end] of normaliseRanges(ranges)) {
    const size = end - start + 1;
    if (left >= size) {
      taken.push([start, end]);
      left -= size;
    } else if (left > 0) {
      taken.push([start, start + left - 1]);
      rest.push([start + left, end]);
      left = 0;
    } else {
      rest.push([start, end]);
    }
  }
  return { taken, rest };
}

/**
 * Checks that each element is a `[start, end]` pair of integer slots with
 * `0 <= start <= end <= 16383`; `pointer` is the JSON pointer of the list itself.
 *
 * @example
 *   validateRanges([[0, 99], [5, 2]], '/moves/0/slots')
 *   // [{ pointer: '/moves/0/slots/1', reason: 'start 5 is greater than end 2' }]
 */
export function validateRanges(ranges: readonly unknown[], pointer: string): FieldError[] {
  const errors: FieldError[] = [];
  ranges.forEach((range, i) => {
    const at = `${pointer}/${i}`;
    if (!Array.isArray(range) || range.length !== 2) {
      errors.push({ pointer: at, reason: 'must be a [start, end] pair of slot numbers' });
      return;
    }
    const [start, end] = range as [unknown, unknown];
    const bad = [start, end].flatMap((value, j) =>
      isSlot(value) ? [] : [{ pointer: `${at}/${j}`, reason: `must be an integer between 0 and ${MAX_SLOT}, got ${show(value)}` }],
    );
    errors.push(...bad);
    if (bad.length === 0 && (start as number) > (end as number)) {
      errors.push({ pointer: at, reason: `start ${String(start)} is greater than end ${String(end)}` });
    }
  });
  return errors;
}

/** A range together with the JSON pointer it came from, for {@link findOverlaps}. */
export interface PointedRange {
  readonly pointer: string;
  readonly range: SlotRange;
}

/**
 * Finds ranges that share slots with another one. Each reported entry names the earlier one (in
 * list order) that it overlaps. O(n log n), so a request listing all 16384 slots one by one is fine.
 * Every overlap is detected, but a range that overlaps several others is reported once per sweep
 * step, not once per pair.
 *
 * @example
 *   findOverlaps([{ pointer: '/moves/0/slots/0', range: [0, 9] }, { pointer: '/moves/1/slots/0', range: [5, 5] }])
 *   // [{ pointer: '/moves/1/slots/0', reason: 'overlaps /moves/0/slots/0' }]
 */
export function findOverlaps(entries: readonly PointedRange[]): FieldError[] {
  const order = entries.map((_, i) => i).sort((a, b) => entries[a]!.range[0] - entries[b]!.range[0] || a - b);
  const errors: { index: number; error: FieldError }[] = [];
  let widest: number | undefined;
  for (const i of order) {
    const entry = entries[i]!;
    if (widest !== undefined) {
      const open = entries[widest]!;
      if (entry.range[0] <= open.range[1]) {
        const [earlier, later] = widest < i ? [open, entry] : [entry, open];
        errors.push({ index: Math.max(widest, i), error: { pointer: later.pointer, reason: `overlaps ${earlier.pointer}` } });
      }
      if (entry.range[1] <= open.range[1]) continue;
    }
    widest = i;
  }
  return errors.sort((a, b) => a.index - b.index).map((e) => e.error);
}

function isSlot(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_SLOT;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 32 ? `${text.slice(0, 29)}...` : text;
}
