import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DomainError } from '../../src/domain/errors.ts';
import type { FieldError } from '../../src/domain/errors.ts';
import { applyMoves } from '../../src/domain/slotMove.ts';
import type { MasterLoad, SlotMove } from '../../src/domain/slotMove.ts';
import { SLOT_COUNT } from '../../src/domain/slotRange.ts';
import type { SlotRange } from '../../src/domain/slotRange.ts';
import { normaliseRanges, rangesToSlots, slotsToRanges } from '../../src/domain/slotSet.ts';

/** A 40-hex-character node id for master number i. */
export const nodeId = (i: number): string => (i + 1).toString(16).padStart(40, '0');

/** Masters built from a list of slot counts, each taking the next contiguous block. */
export function mastersWithCounts(counts: readonly number[]): MasterLoad[] {
  let next = 0;
  return counts.map((count, i) => {
    const slots: SlotRange[] = count === 0 ? [] : [[next, next + count - 1]];
    next += count;
    return { id: nodeId(i), address: `10.0.0.${i + 1}:7000`, slots };
  });
}

/**
 * 3..20 masters with a random complete partition of the 16384 slots: the slot line is cut into
 * 1..60 segments, each owned by a random master, so masters hold scattered ranges and some none.
 */
export const clusterArb: fc.Arbitrary<MasterLoad[]> = fc
  .integer({ min: 3, max: 20 })
  .chain((masterCount) =>
    fc.tuple(
      fc.constant(masterCount),
      fc.uniqueArray(fc.integer({ min: 1, max: SLOT_COUNT - 1 }), { maxLength: 59 }),
      fc.array(fc.integer({ min: 0, max: masterCount - 1 }), { minLength: 60, maxLength: 60 }),
    ),
  )
  .map(([masterCount, cuts, owners]) => {
    const bounds = [0, ...[...cuts].sort((a, b) => a - b), SLOT_COUNT];
    const slots: SlotRange[][] = Array.from({ length: masterCount }, () => []);
    for (let i = 0; i + 1 < bounds.length; i++) slots[owners[i]!]!.push([bounds[i]!, bounds[i + 1]! - 1]);
    return slots.map((ranges, i) => ({ id: nodeId(i), address: `10.0.0.${i + 1}:7000`, slots: normaliseRanges(ranges) }));
  });

/** Moves by node id only, for comparing with expected plans (assertValidPlan checks the addresses). */
export function idMoves(moves: readonly SlotMove[]): { from: string; to: string; slots: readonly SlotRange[] }[] {
  return moves.map((m) => ({ from: m.from.id, to: m.to.id, slots: m.slots }));
}

/** Number of slots each master holds, by id. */
export function heldBy(masters: readonly MasterLoad[]): Map<string, number> {
  return new Map(masters.map((m) => [m.id, rangesToSlots(m.slots).length]));
}

/**
 * Asserts the invariants every plan must keep, without trusting the planner: targets and sources
 * are masters and differ, ranges are normalised, each slot moves at most once and only from the
 * master that serves it, and after applying the plan every slot is served exactly once.
 * Returns the masters after the plan.
 */
export function assertValidPlan(masters: readonly MasterLoad[], moves: readonly SlotMove[]): MasterLoad[] {
  const owner = new Map<number, string>();
  for (const m of masters) for (const s of rangesToSlots(m.slots)) owner.set(s, m.id);
  const ids = new Set(masters.map((m) => m.id));
  const moved = new Set<number>();
  for (const move of moves) {
    assert.ok(ids.has(move.to.id), `target ${move.to.id} is not a master`);
    assert.ok(ids.has(move.from.id), `source ${move.from.id} is not a master`);
    assert.notEqual(move.from.id, move.to.id);
    assert.equal(move.slotCount, rangesToSlots(move.slots).length, 'slotCount counts the slots');
    assert.equal(move.from.address, masters.find((m) => m.id === move.from.id)!.address, 'the source address is the master\'s');
    assert.equal(move.to.address, masters.find((m) => m.id === move.to.id)!.address, 'the target address is the master\'s');
    assert.ok(move.slots.length > 0, 'empty move');
    assert.deepEqual(move.slots, normaliseRanges(move.slots), 'ranges not normalised');
    for (const s of rangesToSlots(move.slots)) {
      assert.ok(!moved.has(s), `slot ${s} moved twice`);
      moved.add(s);
      assert.equal(owner.get(s), move.from.id, `slot ${s} is not served by its source`);
    }
  }
  const after = applyMoves(masters, moves);
  const all: number[] = after.flatMap((m) => [...rangesToSlots(m.slots)]);
  assert.equal(all.length, SLOT_COUNT, 'some slot is served twice or not at all');
  assert.deepEqual(slotsToRanges(all), [[0, SLOT_COUNT - 1]]);
  return after;
}

/** Runs `fn`, expects an `invalid` DomainError, and returns its field errors. */
export function fieldErrorsOf(fn: () => unknown): readonly FieldError[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DomainError, `expected a DomainError, got ${String(err)}`);
    assert.equal(err.kind, 'invalid');
    assert.equal(err.code, 'invalid_argument');
    return err.fields;
  }
  assert.fail('expected an invalid-input error');
}

/** The pointers of the field errors `fn` throws. */
export const pointersOf = (fn: () => unknown): string[] => fieldErrorsOf(fn).map((f) => f.pointer);
