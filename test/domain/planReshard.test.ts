import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planExplicitMoves, planMoveBySlotCount } from '../../src/domain/planReshard.ts';
import { applyMoves } from '../../src/domain/slotMove.ts';
import type { SlotRange } from '../../src/domain/slotRange.ts';
import { rangesToSlots, takeFirstSlots } from '../../src/domain/slotSet.ts';
import { splitSlots } from '../../src/domain/splitSlots.ts';
import { assertValidPlan, clusterArb, fieldErrorsOf, heldBy, idMoves, mastersWithCounts, nodeId, pointersOf } from './slotPlanChecks.ts';

/** The cluster `redis-cli --cluster create` makes from 3 masters: 0-5460, 5461-10922, 10923-16383. */
const threeMasters = splitSlots(3).map((range, i) => ({ id: nodeId(i), address: `127.0.0.1:${7000 + i}`, slots: [range] }));
const [a, b, c] = threeMasters.map((m) => m.id) as [string, string, string];

describe('planMoveBySlotCount', () => {
  test('the benchmark scenario: 2730 slots from one master to another take its first 2730 slots, as redis-cli does', () => {
    const moves = planMoveBySlotCount(threeMasters, { to: b, from: [a], slots: 2730 });
    assert.deepEqual(idMoves(moves), [{ from: a, to: b, slots: [[0, 2729]] }]);
    const after = assertValidPlan(threeMasters, moves);
    assert.deepEqual(after.map((m) => m.slots), [[[2730, 5460]], [[0, 2729], [5461, 10922]], [[10923, 16383]]]);
    assert.deepEqual([...heldBy(after).values()], [2731, 8192, 5461]);
  });

  test('without from, all other masters give in proportion to what they hold (largest remainder)', () => {
    const masters = mastersWithCounts([5461, 5462, 5461, 0]);
    const d = nodeId(3);
    // 4096 * 5461 / 16384 = 1365.25 and 4096 * 5462 / 16384 = 1365.5: the .5 gets the leftover slot.
    assert.deepEqual(idMoves(planMoveBySlotCount(masters, { to: d, slots: 4096 })), [
      { from: nodeId(0), to: d, slots: [[0, 1364]] },
      { from: nodeId(1), to: d, slots: [[5461, 6826]] },
      { from: nodeId(2), to: d, slots: [[10923, 12287]] },
    ]);
  });

  test('moves exactly the slots asked, proportionally, lowest-numbered first, keeping every invariant', () => {
    const arb = clusterArb.chain((masters) => {
      const n = masters.length;
      return fc.record({
        masters: fc.constant(masters),
        to: fc.integer({ min: 0, max: n - 1 }),
        from: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: n }), { nil: undefined }),
        fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      });
    });
    fc.assert(
      fc.property(arb, ({ masters, to, from, fraction }) => {
        const target = nodeId(to);
        const sourceIds = from === undefined ? undefined : from.filter((i) => i !== to).map(nodeId);
        const sources = masters.filter((m) => (sourceIds === undefined ? m.id !== target : sourceIds.includes(m.id)));
        const held = heldBy(masters);
        const total = sources.reduce((sum, m) => sum + held.get(m.id)!, 0);
        fc.pre(total > 0 && (sourceIds === undefined || sourceIds.length > 0));
        const slots = Math.max(1, Math.round(fraction * total));

        const moves = planMoveBySlotCount(masters, { to: target, from: sourceIds, slots });
        const after = assertValidPlan(masters, moves);
        assert.equal(heldBy(after).get(target), held.get(target)! + slots);
        assert.ok(moves.every((m) => m.to.id === target));
        for (const source of sources) {
          const given = rangesToSlots(moves.find((m) => m.from.id === source.id)?.slots ?? []);
          const exact = (slots * held.get(source.id)!) / total;
          assert.ok(Math.abs(given.length - exact) < 1, `source gave ${given.length}, its share is ${exact}`);
          assert.deepEqual(given, rangesToSlots(takeFirstSlots(source.slots, given.length).taken));
        }
      }),
    );
  });

  test('rejects a target that is not a master, a target among the sources, unknown or repeated sources', () => {
    const stranger = 'f'.repeat(40);
    assert.deepEqual(fieldErrorsOf(() => planMoveBySlotCount(threeMasters, { to: stranger, slots: 10 })), [
      { pointer: '/to', reason: `node ${stranger} is not a master of this cluster` },
    ]);
    assert.deepEqual(pointersOf(() => planMoveBySlotCount(threeMasters, { to: a, from: [b, a, stranger, b], slots: 10 })), [
      '/from/1',
      '/from/2',
      '/from/3',
    ]);
    assert.deepEqual(pointersOf(() => planMoveBySlotCount(threeMasters, { to: a, from: [], slots: 10 })), ['/from']);
  });

  test('rejects zero, fractional and too many slots', () => {
    for (const slots of [0, -3, 1.5, Number.NaN]) {
      assert.deepEqual(pointersOf(() => planMoveBySlotCount(threeMasters, { to: a, slots })), ['/slots']);
    }
    assert.deepEqual(fieldErrorsOf(() => planMoveBySlotCount(threeMasters, { to: c, from: [a], slots: 5462 })), [
      { pointer: '/slots', reason: 'asks for 5462 slots but the listed sources hold only 5461' },
    ]);
    assert.deepEqual(pointersOf(() => planMoveBySlotCount(threeMasters, { to: c, slots: 10924 })), ['/slots']);
    assert.equal(rangesToSlots(planMoveBySlotCount(threeMasters, { to: c, slots: 10923 }).flatMap((m) => m.slots)).length, 10923);
  });
});

describe('planExplicitMoves', () => {
  test('the issue example: slots 0-99 and 500 go to the third master in one move', () => {
    const moves = planExplicitMoves(threeMasters, [{ slots: [[0, 99], [500, 500]], to: c }]);
    assert.deepEqual(idMoves(moves), [{ from: a, to: c, slots: [[0, 99], [500, 500]] }]);
  });

  test('groups by current owner and drops slots the target already serves', () => {
    const moves = planExplicitMoves(threeMasters, [
      { slots: [[5000, 6000]], to: c },
      { slots: [[10900, 11000], [1, 2]], to: b },
    ]);
    assert.deepEqual(idMoves(moves), [
      { from: a, to: c, slots: [[5000, 5460]] },
      { from: b, to: c, slots: [[5461, 6000]] },
      { from: c, to: b, slots: [[10923, 11000]] },
      { from: a, to: b, slots: [[1, 2]] },
    ]);
  });

  test('any disjoint request is planned validly, lands every slot on its target, and replans to nothing', () => {
    const arb = clusterArb.chain((masters) =>
      fc.record({
        masters: fc.constant(masters),
        moves: fc.array(
          fc.record({
            to: fc.integer({ min: 0, max: masters.length - 1 }),
            slots: fc.array(fc.tuple(fc.integer({ min: 0, max: 16383 }), fc.integer({ min: 0, max: 400 })), { minLength: 1, maxLength: 4 }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
      }),
    );
    fc.assert(
      fc.property(arb, ({ masters, moves }) => {
        const taken = new Set<number>();
        const request = moves.map(({ to, slots }) => ({
          to: nodeId(to),
          slots: slots.flatMap(([start, length]): SlotRange[] => {
            const end = Math.min(16383, start + length);
            for (let s = start; s <= end; s++) if (taken.has(s)) return [];
            for (let s = start; s <= end; s++) taken.add(s);
            return [[start, end]];
          }),
        }));
        fc.pre(request.every((m) => m.slots.length > 0));

        const plan = planExplicitMoves(masters, request);
        const after = assertValidPlan(masters, plan);
        const ownerAfter = new Map(after.flatMap((m) => rangesToSlots(m.slots).map((s) => [s, m.id] as const)));
        const ownerBefore = new Map(masters.flatMap((m) => rangesToSlots(m.slots).map((s) => [s, m.id] as const)));
        for (const move of request) for (const s of rangesToSlots(move.slots)) assert.equal(ownerAfter.get(s), move.to);
        for (const [s, id] of ownerBefore) if (!taken.has(s)) assert.equal(ownerAfter.get(s), id);
        assert.deepEqual(planExplicitMoves(after, request), []);
      }),
    );
  });

  test('rejects ranges outside 0-16383, reversed ranges, unknown targets and empty lists with pointers', () => {
    const stranger = 'e'.repeat(40);
    assert.deepEqual(
      fieldErrorsOf(() => planExplicitMoves(threeMasters, [{ slots: [[0, 16384], [9, 3]], to: stranger }, { slots: [], to: a }])),
      [
        { pointer: '/moves/0/to', reason: `node ${stranger} is not a master of this cluster` },
        { pointer: '/moves/0/slots/0/1', reason: 'must be an integer between 0 and 16383, got 16384' },
        { pointer: '/moves/0/slots/1', reason: 'start 9 is greater than end 3' },
        { pointer: '/moves/1/slots', reason: 'must list at least one [start, end] range' },
      ],
    );
    assert.deepEqual(pointersOf(() => planExplicitMoves(threeMasters, [])), ['/moves']);
  });

  test('rejects overlaps within one move and across moves, naming the earlier range', () => {
    assert.deepEqual(
      fieldErrorsOf(() =>
        planExplicitMoves(threeMasters, [
          { slots: [[0, 10], [5, 5]], to: b },
          { slots: [[20, 30]], to: c },
          { slots: [[30, 40]], to: b },
        ]),
      ),
      [
        { pointer: '/moves/0/slots/1', reason: 'overlaps /moves/0/slots/0' },
        { pointer: '/moves/2/slots/0', reason: 'overlaps /moves/1/slots/0' },
      ],
    );
  });

  test('rejects slots that no master serves', () => {
    const partial = [{ ...threeMasters[0]!, slots: [[0, 99]] as SlotRange[] }, threeMasters[1]!];
    assert.deepEqual(fieldErrorsOf(() => planExplicitMoves(partial, [{ slots: [[98, 102], [11000, 11000]], to: b }])), [
      { pointer: '/moves/0/slots/0', reason: 'slots 100-102 are not served by any master' },
      { pointer: '/moves/0/slots/1', reason: 'slot 11000 is not served by any master' },
    ]);
    assert.deepEqual(applyMoves(partial, planExplicitMoves(partial, [{ slots: [[98, 99]], to: b }]))[0]!.slots, [[0, 97]]);
  });
});
