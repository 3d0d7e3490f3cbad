import { invalidInput } from './errors.ts';
import type { FieldError } from './errors.ts';
import { countSlots, formatRanges, SLOT_COUNT } from './slotRange.ts';
import type { SlotRange } from './slotRange.ts';
import { groupMoves } from './slotMove.ts';
import type { MasterLoad, SlotMove } from './slotMove.ts';
import { findOverlaps, slotsToRanges, takeFirstSlots, validateRanges } from './slotSet.ts';
import type { PointedRange } from './slotSet.ts';

/** "Move this many slots to `to`", from the listed masters or, without `from`, from all others. */
export interface SlotCountRequest {
  readonly to: string;
  readonly from?: readonly string[] | undefined;
  readonly slots: number;
}

/** "Move exactly these slots to `to`", whoever serves them now. */
export interface ExplicitMove {
  readonly slots: readonly SlotRange[];
  readonly to: string;
}

/**
 * Plans moving `slots` slots to the master `to`. Each source gives a share proportional to the
 * slots it holds (largest remainder, so the shares add up to exactly `slots`; ties go to the
 * source holding more, then to the earlier one) and gives its lowest-numbered slots first, as
 * redis-cli's reshard table does. redis-cli rounds the first source up and the others down, so it
 * can move fewer slots than asked; this planner moves exactly the number asked.
 * Node references are node ids; throws an `invalid` DomainError with pointers `/to`, `/from/i`,
 * `/slots`.
 *
 * @example
 *   planMoveBySlotCount(masters, { to: b, from: [a], slots: 2730 })
 *   // [{ from: a, to: b, slots: [[0, 2729]] }] when a serves 0-5460
 */
export function planMoveBySlotCount(masters: readonly MasterLoad[], req: SlotCountRequest): SlotMove[] {
  const byId = new Map(masters.map((m) => [m.id, m]));
  const errors: FieldError[] = [];
  if (!byId.has(req.to)) errors.push({ pointer: '/to', reason: notAMaster(req.to) });
  const sources = req.from === undefined ? masters.filter((m) => m.id !== req.to) : listedSources(req, byId, errors);
  if (!Number.isInteger(req.slots) || req.slots < 1) {
    errors.push({ pointer: '/slots', reason: `must be an integer >= 1, got ${req.slots}` });
  } else if (errors.length === 0) {
    const held = sources.reduce((n, s) => n + countSlots(s.slots), 0);
    if (req.slots > held) {
      const whose = req.from === undefined ? 'the other masters' : 'the listed sources';
      errors.push({ pointer: '/slots', reason: `asks for ${req.slots} slots but ${whose} hold only ${held}` });
    }
  }
  if (errors.length > 0) throw invalidInput(errors);

  const shares = proportionalShares(sources.map((s) => countSlots(s.slots)), req.slots);
  const target = byId.get(req.to)!;
  return groupMoves(sources.map((s, i) => ({ from: s, to: target, slots: takeFirstSlots(s.slots, shares[i]!).taken })));
}

function listedSources(req: SlotCountRequest, byId: ReadonlyMap<string, MasterLoad>, errors: FieldError[]): MasterLoad[] {
  const from = req.from ?? [];
  if (from.length === 0) {
    errors.push({ pointer: '/from', reason: 'must list at least one source; omit it to take slots from all other masters' });
  }
  const firstIndex = new Map<string, number>();
  const sources: MasterLoad[] = [];
  from.forEach((id, i) => {
    const pointer = `/from/${i}`;
    const first = firstIndex.get(id);
    if (first !== undefined) return errors.push({ pointer, reason: `duplicate of /from/${first}` });
    firstIndex.set(id, i);
    if (id === req.to) return errors.push({ pointer, reason: 'is also the target (/to); a node cannot give slots to itself' });
    const master = byId.get(id);
    if (master === undefined) return errors.push({ pointer, reason: notAMaster(id) });
    sources.push(master);
  });
  return sources;
}

/**
 * Splits `total` into integer parts proportional to `sizes` by largest remainder. Exact integer
 * maths (at most 16384 * 16384 < 2^53), so no float drift; no part exceeds its size when
 * `total <= sum(sizes)`.
 */
function proportionalShares(sizes: readonly number[], total: number): number[] {
  const sum = sizes.reduce((a, b) => a + b, 0);
  const shares = sizes.map((size) => Math.floor((total * size) / sum));
  let left = total - shares.reduce((a, b) => a + b, 0);
  const order = sizes
    .map((size, i) => ({ i, size, remainder: (total * size) % sum }))
    .sort((a, b) => b.remainder - a.remainder || b.size - a.size || a.i - b.i);
  for (const { i } of order) {
    if (left === 0) break;
    shares[i]! += 1;
    left -= 1;
  }
  return shares;
}

/**
 * Plans explicit moves: each listed slot goes to its move's `to`, grouped per (current owner,
 * target) pair in order of first appearance. Slots the target already serves are left out, so
 * replanning a half-done request plans only the rest. Throws an `invalid` DomainError with
 * pointers under `/moves/i` for malformed or overlapping ranges, unknown targets and slots that
 * no master serves.
 *
 * @example
 *   planExplicitMoves(masters, [{ slots: [[0, 99], [500, 500]], to: c }])
 *   // [{ from: a, to: c, slots: [[0, 99], [500, 500]] }] when a serves 0-5460
 */
export function planExplicitMoves(masters: readonly MasterLoad[], moves: readonly ExplicitMove[]): SlotMove[] {
  const byId = new Map(masters.map((m) => [m.id, m]));
  const errors: FieldError[] = [];
  if (moves.length === 0) errors.push({ pointer: '/moves', reason: 'must list at least one move' });
  const pointed: PointedRange[] = [];
  moves.forEach((move, i) => {
    if (!byId.has(move.to)) errors.push({ pointer: `/moves/${i}/to`, reason: notAMaster(move.to) });
    if (move.slots.length === 0) {
      errors.push({ pointer: `/moves/${i}/slots`, reason: 'must list at least one [start, end] range' });
    }
    const rangeErrors = validateRanges(move.slots, `/moves/${i}/slots`);
    errors.push(...rangeErrors);
    if (rangeErrors.length === 0) move.slots.forEach((range, j) => pointed.push({ pointer: `/moves/${i}/slots/${j}`, range }));
  });
  errors.push(...findOverlaps(pointed));
  const owner = ownerBySlot(masters);
  for (const { pointer, range } of pointed) {
    const unserved: number[] = [];
    for (let s = range[0]; s <= range[1]; s++) if (owner[s] === undefined) unserved.push(s);
    if (unserved.length > 0) {
      const which = unserved.length === 1 ? `slot ${unserved[0]} is` : `slots ${formatRanges(slotsToRanges(unserved))} are`;
      errors.push({ pointer, reason: `${which} not served by any master` });
    }
  }
  if (errors.length > 0) throw invalidInput(errors);

  const assignments: { from: MasterLoad; to: MasterLoad; slots: SlotRange[] }[] = [];
  for (const move of moves) {
    const to = byId.get(move.to)!;
    for (const [start, end] of move.slots) {
      for (let s = start; s <= end; s++) {
        const from = owner[s]!;
        if (from.id !== to.id) assignments.push({ from, to, slots: [[s, s]] });
      }
    }
  }
  return groupMoves(assignments);
}

/** Which master serves each slot (undefined: none). */
function ownerBySlot(masters: readonly MasterLoad[]): (MasterLoad | undefined)[] {
  const owner = new Array<MasterLoad | undefined>(SLOT_COUNT).fill(undefined);
  for (const m of masters) for (const [start, end] of m.slots) for (let s = start; s <= end; s++) owner[s] = m;
  return owner;
}

function notAMaster(id: string): string {
  return `node ${id} is not a master of this cluster`;
}
