import { SLOT_COUNT } from './slotRange.ts';
import type { SlotRange } from './slotRange.ts';

/**
 * Splits the 16384 hash slots into one contiguous range per master, in order, sizes differing by
 * at most 1. Range i ends just before `round((i + 1) * 16384 / masterCount)`, halves rounded up:
 * the formula of `redis-cli --cluster create`, computed exactly. redis-cli accumulates it in a C
 * float, so from 78 masters on its boundaries drift (some of its ranges then differ in size by 2);
 * up to 77 masters both give the same split.
 *
 * @example
 *   splitSlots(3) // [[0, 5460], [5461, 10922], [10923, 16383]]
 */
export function splitSlots(masterCount: number): SlotRange[] {
  if (!Number.isInteger(masterCount) || masterCount < 1 || masterCount > SLOT_COUNT) {
    throw new RangeError(`masterCount must be an integer between 1 and ${SLOT_COUNT}, got ${masterCount}`);
  }
  const boundary = (k: number): number => Math.floor((2 * k * SLOT_COUNT + masterCount) / (2 * masterCount));
  const ranges: SlotRange[] = [];
  for (let i = 0; i < masterCount; i++) ranges.push([boundary(i), boundary(i + 1) - 1]);
  return ranges;
}
