import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { planDrain } from '../../src/domain/planDrain.ts';
import { countSlots } from '../../src/domain/slotRange.ts';
import { rangesToSlots } from '../../src/domain/slotSet.ts';
import { assertValidPlan, clusterArb, heldBy, idMoves, mastersWithCounts, nodeId } from './slotPlanChecks.ts';

describe('planDrain', () => {
  test('a create-style split: the drained master gives its slots to the two others, evening them out', () => {
    const masters = mastersWithCounts([5461, 5462, 5461]);
    const moves = planDrain(masters, nodeId(2));
    assert.deepEqual(idMoves(moves), [
      { from: nodeId(2), to: nodeId(0), slots: [[10923, 13653]] },
      { from: nodeId(2), to: nodeId(1), slots: [[13654, 16383]] },
    ]);
    assert.deepEqual([...heldBy(assertValidPlan(masters, moves)).values()], [8192, 8192, 0]);
  });

  test('empty masters receive only when no other master serves slots', () => {
    assert.deepEqual(planDrain(mastersWithCounts([8192, 8192, 0]), nodeId(1)).map((m) => m.to.id), [nodeId(0)]);
    const lone = mastersWithCounts([16384, 0, 0]);
    const moves = planDrain(lone, nodeId(0));
    assert.deepEqual([...heldBy(assertValidPlan(lone, moves)).values()], [0, 8192, 8192]);
    assert.deepEqual(planDrain(mastersWithCounts([16384, 0]), nodeId(1)), [], 'an empty master has nothing to give');
  });

  test('refuses an unknown master and the last master', () => {
    assert.throws(() => planDrain(mastersWithCounts([16384]), nodeId(0)), /last master/);
    assert.throws(() => planDrain(mastersWithCounts([16384, 0]), nodeId(7)), /not a master/);
  });

  test('property: only the drained master gives, it ends empty, every slot stays owned once, receivers end within one slot', () => {
    fc.assert(fc.property(clusterArb, fc.nat(), (masters, pick) => {
      const drained = masters[pick % masters.length]!;
      const moves = planDrain(masters, drained.id);
      const after = assertValidPlan(masters, moves);
      assert.ok(moves.every((m) => m.from.id === drained.id && m.to.id !== drained.id));
      assert.equal(countSlots(after.find((m) => m.id === drained.id)!.slots), 0);
      for (const m of masters) {
        if (m.id === drained.id) continue;
        const kept = new Set(rangesToSlots(after.find((a) => a.id === m.id)!.slots));
        assert.ok(rangesToSlots(m.slots).every((s) => kept.has(s)), 'no other master loses a slot');
      }
      const receivers = new Set(moves.map((m) => m.to.id));
      const others = after.filter((m) => m.id !== drained.id && (countSlots(masters.find((o) => o.id === m.id)!.slots) > 0 || receivers.has(m.id)));
      const least = Math.min(...others.map((m) => countSlots(m.slots)));
      for (const id of receivers) assert.ok(countSlots(after.find((m) => m.id === id)!.slots) <= least + 1, 'water-filled');
      assert.ok(new Set(moves.map((m) => m.to.id)).size === moves.length, 'one move per receiver');
    }));
  });
});
