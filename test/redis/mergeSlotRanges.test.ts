import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { SlotRange } from '../../src/domain/slotRange.ts';
import { mergeSlotRanges, slotRangesWhere } from '../../src/redis/mergeSlotRanges.ts';

const slot = fc.integer({ min: 0, max: 16383 });
const range = fc.tuple(slot, slot).map(([a, b]): SlotRange => [Math.min(a, b), Math.max(a, b)]);

function slotSet(ranges: readonly SlotRange[]): Set<number> {
  const set = new Set<number>();
  for (const [s, e] of ranges) for (let i = s; i <= e; i++) set.add(i);
  return set;
}

test('mergeSlotRanges covers the same slots with sorted, disjoint, non-adjacent ranges', () => {
  fc.assert(
    fc.property(fc.array(range, { maxLength: 8 }), (ranges) => {
      const merged = mergeSlotRanges(ranges);
      assert.deepEqual(slotSet(merged), slotSet(ranges));
      for (let i = 1; i < merged.length; i++) assert.ok((merged[i]?.[0] ?? 0) > (merged[i - 1]?.[1] ?? 0) + 1);
    }),
  );
});

test('slotRangesWhere returns exactly the slots for which the test holds, merged', () => {
  fc.assert(
    fc.property(fc.array(range, { maxLength: 8 }), (ranges) => {
      const set = slotSet(ranges);
      assert.deepEqual(
        slotRangesWhere((s) => set.has(s)),
        mergeSlotRanges(ranges),
      );
    }),
    { numRuns: 50 },
  );
  assert.deepEqual(slotRangesWhere(() => true), [[0, 16383]]);
  assert.deepEqual(slotRangesWhere(() => false), []);
});
