/** Redis Cluster has exactly 16384 hash slots, numbered 0..16383. */
export const SLOT_COUNT = 16384;
export const MAX_SLOT = SLOT_COUNT - 1;

/** An inclusive range of hash slots: `[start, end]` with `0 <= start <= end <= 16383`. */
export type SlotRange = readonly [start: number, end: number];

/** Number of slots in a list of ranges. */
export function countSlots(ranges: readonly SlotRange[]): number {
  let n = 0;
  for (const [start, end] of ranges) n += end - start + 1;
  return n;
}

/** Formats ranges the way redis-cli does: `0-5460,5461` style, single slots without a dash. */
export function formatRanges(ranges: readonly SlotRange[]): string {
  return ranges.map(([s, e]) => (s === e ? `${s}` : `${s}-${e}`)).join(',');
}
