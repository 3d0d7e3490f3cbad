import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SLOT_COUNT } from '../../src/domain/slotRange.ts';
import { splitSlots } from '../../src/domain/splitSlots.ts';

/** redis-cli's loop (clusterManagerCommandCreate), with its C float arithmetic emulated. */
function redisCliSplit(masters: number): [number, number][] {
  const f = Math.fround;
  const perNode = f(SLOT_COUNT / f(masters));
  const ranges: [number, number][] = [];
  let cursor = f(0);
  let first = 0;
  for (let i = 0; i < masters; i++) {
    let last = Math.floor(f(f(cursor + perNode) - 1) + 0.5); // lround of a positive number
    if (last > SLOT_COUNT || i === masters - 1) last = SLOT_COUNT - 1;
    if (last < first) last = first;
    ranges.push([first, last]);
    first = last + 1;
    cursor = f(cursor + perNode);
  }
  return ranges;
}

describe('splitSlots', () => {
  test('splits 3 masters exactly like redis-cli', () => {
    assert.deepEqual(splitSlots(3), [[0, 5460], [5461, 10922], [10923, 16383]]);
  });

  test('matches redis-cli for every master count up to 77', () => {
    for (let masters = 1; masters <= 77; masters++) assert.deepEqual(splitSlots(masters), redisCliSplit(masters), `${masters} masters`);
  });

  test('covers every slot once, in contiguous ranges in order, sizes differing by at most 1', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: SLOT_COUNT }), (masters) => {
      const ranges = splitSlots(masters);
      assert.equal(ranges.length, masters);
      let next = 0;
      for (const [start, end] of ranges) {
        assert.equal(start, next);
        assert.ok(end >= start);
        next = end + 1;
      }
      assert.equal(next, SLOT_COUNT);
      const sizes = ranges.map(([start, end]) => end - start + 1);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
    }));
  });

  test('refuses master counts outside 1..16384', () => {
    for (const bad of [0, -1, 16385, 2.5, Number.NaN]) assert.throws(() => splitSlots(bad), RangeError, `${bad}`);
  });
});
