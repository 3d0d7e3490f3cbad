import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SlotRange } from '../../src/domain/slotRange.ts';
import {
  findOverlaps,
  normaliseRanges,
  rangesToSlots,
  slotRangesWhere,
  slotsToRanges,
  subtractRanges,
  takeFirstSlots,
  validateRanges,
} from '../../src/domain/slotSet.ts';

const rangeArb: fc.Arbitrary<SlotRange> = fc
  .tuple(fc.integer({ min: 0, max: 16383 }), fc.integer({ min: 0, max: 300 }))
  .map(([start, length]) => [start, Math.min(16383, start + length)] as const);
const rangesArb = fc.array(rangeArb, { maxLength: 30 });

/** Slots of ranges by brute force, as a sorted unique list. */
const slotsOf = (ranges: readonly SlotRange[]): number[] => {
  const set = new Set<number>();
  for (const [s, e] of ranges) for (let x = s; x <= e; x++) set.add(x);
  return [...set].sort((a, b) => a - b);
};

describe('slot sets', () => {
  test('rangesToSlots and slotsToRanges are inverse, and ranges come out sorted, disjoint and not touching', () => {
    fc.assert(
      fc.property(rangesArb, (ranges) => {
        const slots = rangesToSlots(ranges);
        assert.deepEqual(slots, slotsOf(ranges));
        const merged = slotsToRanges(slots);
        assert.deepEqual(merged, normaliseRanges(ranges));
        merged.forEach(([s, e], i) => {
          assert.ok(s <= e);
          if (i > 0) assert.ok(s > merged[i - 1]![1] + 1, 'ranges touch or overlap');
        });
        assert.deepEqual(rangesToSlots(merged), slots);
      }),
    );
    assert.deepEqual(slotsToRanges([3, 1, 2, 7, 2]), [[1, 3], [7, 7]]);
    assert.deepEqual(slotsToRanges([]), []);
  });

  test('slotRangesWhere returns exactly the slots for which the test holds, merged', () => {
    fc.assert(
      fc.property(fc.array(rangeArb, { maxLength: 8 }), (ranges) => {
        const set = new Set(rangesToSlots(normaliseRanges(ranges)));
        assert.deepEqual(slotRangesWhere((s) => set.has(s)), normaliseRanges(ranges));
      }),
      { numRuns: 50 },
    );
    assert.deepEqual(slotRangesWhere(() => true), [[0, 16383]]);
    assert.deepEqual(slotRangesWhere(() => false), []);
  });

  test('subtractRanges keeps exactly the slots of the first ranges that the second do not hold, merged', () => {
    fc.assert(
      fc.property(rangesArb, rangesArb, (ranges, minus) => {
        const cut = new Set(slotsOf(minus));
        const left = subtractRanges(ranges, minus);
        assert.deepEqual(left, slotsToRanges(slotsOf(ranges).filter((s) => !cut.has(s))));
      }),
    );
    assert.deepEqual(subtractRanges([[0, 9], [20, 29]], [[5, 24]]), [[0, 4], [25, 29]]);
    assert.deepEqual(subtractRanges([[0, 16383]], []), [[0, 16383]]);
    assert.deepEqual(subtractRanges([[100, 200]], [[0, 16383]]), []);
  });

  test('takeFirstSlots takes the lowest-numbered slots and leaves the rest', () => {
    fc.assert(
      fc.property(rangesArb, fc.nat({ max: 5000 }), (ranges, count) => {
        const all = slotsOf(ranges);
        const { taken, rest } = takeFirstSlots(ranges, count);
        assert.deepEqual(rangesToSlots(taken), all.slice(0, count));
        assert.deepEqual(rangesToSlots(rest), all.slice(count));
      }),
    );
    assert.deepEqual(takeFirstSlots([[20, 29], [0, 9]], 12), { taken: [[0, 9], [20, 21]], rest: [[22, 29]] });
  });

  test('validateRanges accepts valid ranges and points at each bad one', () => {
    fc.assert(fc.property(rangesArb, (ranges) => assert.deepEqual(validateRanges(ranges, '/slots'), [])));
    assert.deepEqual(validateRanges([[0, 16383], [16383, 16383], [5, 2], [-1, 3], [1.5, 2], [0, 16384], [1], 'x', [0, '9']], '/moves/0/slots'), [
      { pointer: '/moves/0/slots/2', reason: 'start 5 is greater than end 2' },
      { pointer: '/moves/0/slots/3/0', reason: 'must be an integer between 0 and 16383, got -1' },
      { pointer: '/moves/0/slots/4/0', reason: 'must be an integer between 0 and 16383, got 1.5' },
      { pointer: '/moves/0/slots/5/1', reason: 'must be an integer between 0 and 16383, got 16384' },
      { pointer: '/moves/0/slots/6', reason: 'must be a [start, end] pair of slot numbers' },
      { pointer: '/moves/0/slots/7', reason: 'must be a [start, end] pair of slot numbers' },
      { pointer: '/moves/0/slots/8/1', reason: 'must be an integer between 0 and 16383, got "9"' },
    ]);
  });

  test('findOverlaps reports an overlap exactly when two ranges share a slot, each pointing at a real partner', () => {
    fc.assert(
      fc.property(fc.array(rangeArb, { maxLength: 12 }), (ranges) => {
        const entries = ranges.map((range, i) => ({ pointer: `/r/${i}`, range }));
        const overlap = (x: SlotRange, y: SlotRange): boolean => x[0] <= y[1] && y[0] <= x[1];
        const anyPair = ranges.some((x, i) => ranges.some((y, j) => i < j && overlap(x, y)));
        const found = findOverlaps(entries);
        assert.equal(found.length > 0, anyPair);
        for (const { pointer, reason } of found) {
          const later = Number(pointer.slice(3));
          const earlier = Number(reason.replace('overlaps /r/', ''));
          assert.ok(earlier < later, `${pointer}: ${reason}`);
          assert.ok(overlap(ranges[earlier]!, ranges[later]!), `${pointer}: ${reason}`);
        }
      }),
    );
    assert.deepEqual(
      findOverlaps([
        { pointer: '/a', range: [5, 6] },
        { pointer: '/b', range: [0, 10] },
        { pointer: '/c', range: [11, 11] },
      ]),
      [{ pointer: '/b', reason: 'overlaps /a' }],
    );
  });
});
