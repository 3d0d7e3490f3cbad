import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { planCoverage } from '../../src/domain/planCoverage.ts';
import { countSlots } from '../../src/domain/slotRange.ts';
import { rangesToSlots, slotsToRanges } from '../../src/domain/slotSet.ts';
import { mastersWithCounts, nodeId } from './slotPlanChecks.ts';

describe('planCoverage', () => {
  test('the issue example: slot 100 no one serves goes to the master that holds its key', () => {
    // The create-style split with slot 100 deleted everywhere.
    const masters = mastersWithCounts([5461, 5462, 5461]).map((m, i) => (i === 0 ? { ...m, slots: slotsToRanges(rangesToSlots(m.slots).filter((s) => s !== 100)) } : m));
    const { assignments, strays } = planCoverage([100], masters, (id, slot) => (id === nodeId(0) && slot === 100 ? 1 : 0));
    assert.deepEqual(assignments.map((a) => [a.owner.id, a.slots]), [[nodeId(0), [[100, 100]]]]);
    assert.match(assignments[0]!.reason, /holds keys/);
    assert.deepEqual(strays, []);
  });

  test('keys on several masters: the one with most keys gets the slot and the others hand theirs over', () => {
    const masters = mastersWithCounts([100, 100, 100]);
    const keys: Record<string, number> = { [nodeId(0)]: 2, [nodeId(1)]: 5, [nodeId(2)]: 1 };
    const { assignments, strays } = planCoverage([500], masters, (id) => keys[id] ?? 0);
    assert.deepEqual(assignments.map((a) => a.owner.id), [nodeId(1)]);
    assert.deepEqual(strays.map((s) => [s.from.id, s.to.id, s.keys]), [[nodeId(0), nodeId(1), 2], [nodeId(2), nodeId(1), 1]]);
  });

  test('a dead master\'s whole range without keys is spread over the others, emptiest first', () => {
    const masters = mastersWithCounts([5461, 5462, 0]).slice(0, 2);
    const uncovered = rangesToSlots([[10923, 16383]]);
    const { assignments } = planCoverage(uncovered, masters, () => 0);
    assert.deepEqual(assignments.map((a) => [a.owner.id, countSlots(a.slots)]), [[nodeId(0), 2731], [nodeId(1), 2730]]);
  });

  test('property: every uncovered slot gets exactly one live master, keys decide when there are any', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.uniqueArray(fc.integer({ min: 0, max: 16383 }), { minLength: 1, maxLength: 300 }),
      fc.func(fc.nat({ max: 3 })),
      (n, uncovered, keyCount) => {
        const masters = mastersWithCounts(Array.from({ length: n }, () => 0));
        const keysIn = (id: string, slot: number) => keyCount(id, slot);
        const { assignments, strays } = planCoverage(uncovered, masters, keysIn);
        const given = assignments.flatMap((a) => rangesToSlots(a.slots).map((slot) => ({ slot, owner: a.owner.id })));
        assert.deepEqual(given.map((g) => g.slot).sort((a, b) => a - b), [...uncovered].sort((a, b) => a - b), 'each slot once');
        for (const { slot, owner } of given) {
          const most = Math.max(...masters.map((m) => keysIn(m.id, slot)));
          if (most > 0) assert.equal(keysIn(owner, slot), most, `slot ${slot} goes to a master with the most keys`);
        }
        for (const s of strays) {
          assert.ok(s.keys > 0 && s.from.id !== s.to.id);
          assert.equal(given.find((g) => g.slot === s.slot)?.owner, s.to.id);
        }
      },
    ));
  });
});
