import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planRebalance, rebalanceTargets } from '../../src/domain/planRebalance.ts';
import type { WeightedMaster } from '../../src/domain/planRebalance.ts';
import { SLOT_COUNT } from '../../src/domain/slotRange.ts';
import { assertValidPlan, clusterArb, fieldErrorsOf, heldBy, idMoves, mastersWithCounts, nodeId, pointersOf } from './slotPlanChecks.ts';

const weighted = (counts: readonly number[], weights: readonly number[] = counts.map(() => 1)): WeightedMaster[] =>
  mastersWithCounts(counts).map((m, i) => ({ ...m, weight: weights[i]! }));

const defaults = { thresholdPercent: 2, useEmptyMasters: false };

describe('planRebalance', () => {
  test('the benchmark scenario: an empty 4th master with useEmptyMasters ends every master at exactly 4096 slots', () => {
    // 0-5460, 5461-10922, 10923-16383 as `redis-cli --cluster create` assigns them, plus an empty master.
    const masters = weighted([5461, 5462, 5461, 0]);
    const moves = planRebalance(masters, { thresholdPercent: 2, useEmptyMasters: true });
    // Balances 1365, 1366, 1365, -4096: like redis-cli, the largest giver goes first, then from the back.
    assert.deepEqual(idMoves(moves), [
      { from: nodeId(1), to: nodeId(3), slots: [[5461, 6826]] },
      { from: nodeId(2), to: nodeId(3), slots: [[10923, 12287]] },
      { from: nodeId(0), to: nodeId(3), slots: [[0, 1364]] },
    ]);
    const after = assertValidPlan(masters, moves);
    assert.deepEqual([...heldBy(after).values()], [4096, 4096, 4096, 4096]);
    assert.deepEqual(planRebalance(after.map((m) => ({ ...m, weight: 1 })), { thresholdPercent: 0, useEmptyMasters: true }), []);
  });

  test('without useEmptyMasters an empty master is left out and a create-style split needs nothing', () => {
    assert.deepEqual(planRebalance(weighted([5461, 5462, 5461, 0]), defaults), []);
    assert.deepEqual(planRebalance(weighted([5461, 5462, 5461]), { ...defaults, thresholdPercent: 0 }), []);
    assert.deepEqual(
      rebalanceTargets(weighted([5461, 5462, 5461, 0]), false).map((t) => t.target),
      [5461, 5462, 5461],
    );
  });

  test('the threshold is a percent of what a master holds, as in redis-cli', () => {
    // Targets 8192 each; 8192 / 8300 is 1.3% off, 8192 / 8084 is 1.34% off.
    const masters = weighted([8300, 8084]);
    assert.deepEqual(planRebalance(masters, { ...defaults, thresholdPercent: 1.5 }), []);
    assert.deepEqual(idMoves(planRebalance(masters, { ...defaults, thresholdPercent: 1 })), [
      { from: nodeId(0), to: nodeId(1), slots: [[0, 107]] },
    ]);
  });

  test('weight 0 drains a master; weights split the slots in proportion', () => {
    const masters = weighted([4096, 4096, 4096, 4096], [0, 1, 1, 2]);
    const after = assertValidPlan(masters, planRebalance(masters, defaults));
    assert.deepEqual([...heldBy(after).values()], [0, 4096, 4096, 8192]);
  });

  test('a master with a tiny weight that is drained does not make a rebalance of the result move a slot back', () => {
    // The property test's counterexample: 4.4e-16 took part in the total, pulling 3/6 of the slots
    // to 8191.99999..., floored to 8191; without it (drained, so no longer taking part) the share is 8192.
    const ranges: [number, number][][] = [[[0, 7], [4283, 10643]], [[10644, 12025], [16377, 16383]], [[8, 4282]], [[12026, 16376]]];
    const weights = [2, 3, 4.440892098500627e-16, 1];
    const masters = ranges.map((slots, i) => ({ id: nodeId(i), address: `10.0.0.${i + 1}:7000`, slots, weight: weights[i]! }));
    const opts = { thresholdPercent: 0, useEmptyMasters: false };
    const after = assertValidPlan(masters, planRebalance(masters, opts));
    assert.deepEqual([...heldBy(after).values()], [5461, 8192, 0, 2731]);
    assert.deepEqual(planRebalance(after.map((m, i) => ({ ...m, weight: weights[i]! })), opts), []);
  });

  test('a drained master with a tiny weight takes no part in the shares, so a rebalance of the result moves nothing', () => {
    // The property test's counterexample: 7.3e-13 of 6 pulled a share of exactly 8192 a hair
    // below (8191.999999999), floored to 8191; drained, the master no longer takes part.
    const ranges: [number, number][][] = [[[596, 1138]], [[15832, 16383]], [[9838, 15831]], [[1554, 2339], [5897, 8787]], [[0, 595]], [[1139, 1553], [2340, 5896], [8788, 9837]]];
    const weights = [0, 7.329692408575284e-13, 2, 1, 3, 0];
    const masters = ranges.map((slots, i) => ({ id: nodeId(i), address: `10.0.0.${i + 1}:7000`, slots, weight: weights[i]! }));
    const opts = { thresholdPercent: 0, useEmptyMasters: false };
    const after = assertValidPlan(masters, planRebalance(masters, opts));
    assert.deepEqual([...heldBy(after).values()], [0, 0, 5461, 2731, 8192, 0]);
    assert.deepEqual(planRebalance(after.map((m, i) => ({ ...m, weight: weights[i]! })), opts), []);
  });

  test('balances any cluster to within one slot of each share, or leaves it within the threshold, and replans to nothing', () => {
    const arb = clusterArb.chain((masters) =>
      fc.record({
        masters: fc.constant(masters),
        weights: fc.array(fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 5 }), fc.double({ min: 0, max: 10, noNaN: true })), {
          minLength: masters.length,
          maxLength: masters.length,
        }),
        thresholdPercent: fc.oneof(fc.constant(0), fc.constant(2), fc.double({ min: 0, max: 100, noNaN: true })),
        useEmptyMasters: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(arb, ({ masters, weights, thresholdPercent, useEmptyMasters }) => {
        const input = masters.map((m, i) => ({ ...m, weight: weights[i]! }));
        const held = heldBy(masters);
        const involved = input.filter((m) => useEmptyMasters || held.get(m.id)! > 0);
        const totalWeight = involved.reduce((sum, m) => sum + m.weight, 0);
        const opts = { thresholdPercent, useEmptyMasters };
        if (!(totalWeight > 0)) {
          assert.deepEqual(pointersOf(() => planRebalance(input, opts)), ['/weights']);
          return;
        }
        const moves = planRebalance(input, opts);
        const after = assertValidPlan(masters, moves);
        const heldAfter = heldBy(after);
        // Shares among the masters that take part in the next rebalance: without useEmptyMasters,
        // one the plan left empty (a tiny weight, drained) no longer does.
        const sharing = involved.filter((m) => useEmptyMasters || heldAfter.get(m.id)! > 0 || moves.length === 0);
        const sharedWeight = sharing.reduce((sum, m) => sum + m.weight, 0);
        for (const m of input) {
          const now = heldAfter.get(m.id)!;
          if (!involved.includes(m)) {
            assert.equal(now, 0, 'an empty master left out still holds nothing');
            continue;
          }
          const share = sharing.includes(m) ? (SLOT_COUNT * m.weight) / sharedWeight : 0;
          const allowed = moves.length > 0 ? 1 : (thresholdPercent / 100) * now + 1;
          assert.ok(Math.abs(now - share) <= allowed + 1e-9, `${m.id} holds ${now}, share ${share}, allowed ${allowed}`);
        }
        const again = after.map((m, i) => ({ ...m, weight: weights[i]! }));
        assert.deepEqual(planRebalance(again, opts), []);
        // A plan that ran leaves every master exactly on target, so even threshold 0 finds nothing.
        if (moves.length > 0) assert.deepEqual(planRebalance(again, { ...opts, thresholdPercent: 0 }), []);
      }),
    );
  });

  test('rejects thresholds outside 0-100, negative or infinite weights, and all-zero weights', () => {
    for (const thresholdPercent of [-1, 100.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.deepEqual(pointersOf(() => planRebalance(weighted([8192, 8192]), { ...defaults, thresholdPercent })), ['/threshold']);
    }
    assert.deepEqual(fieldErrorsOf(() => planRebalance(weighted([8192, 8192], [-1, Number.POSITIVE_INFINITY]), defaults)), [
      { pointer: '/weights', reason: 'weight of 10.0.0.1:7000 must be a finite number >= 0, got -1' },
      { pointer: '/weights', reason: 'weight of 10.0.0.2:7000 must be a finite number >= 0, got Infinity' },
    ]);
    // The only master with weight is empty and left out without useEmptyMasters.
    assert.deepEqual(pointersOf(() => planRebalance(weighted([8192, 8192, 0], [0, 0, 1]), defaults)), ['/weights']);
  });

  test('refuses a cluster whose masters do not serve every slot exactly once', () => {
    for (const counts of [[8192, 8191], [8192, 8192, 1]]) {
      assert.throws(() => planRebalance(weighted(counts), defaults), { kind: 'precondition', code: 'slots_not_covered' });
    }
  });
});
