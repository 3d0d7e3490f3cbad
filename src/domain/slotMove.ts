import { nodeRefOf, type NodeRef } from './nodeRef.ts';
import type { ObservedNode } from './observedTopology.ts';
import { countSlots, SLOT_COUNT, type SlotRange } from './slotRange.ts';
import { normaliseRanges } from './slotSet.ts';

/**
 * Slots to move from one master to another: both ends by id and address (so the worker needs no
 * lookup), sorted merged ranges, and their count. The one slot-move shape: planners produce it,
 * steps store it, dry runs show it, the migration engine takes it.
 */
export interface SlotMove {
  readonly from: NodeRef;
  readonly to: NodeRef;
  readonly slots: readonly SlotRange[];
  readonly slotCount: number;
}

/** A master and the slots it serves, as the planners see it. */
export interface MasterLoad extends NodeRef {
  readonly slots: readonly SlotRange[];
}

/**
 * A move of `slots` (any ranges: they are sorted and merged) from `from` to `to`.
 *
 * @example slotMove(a, b, [[5, 9], [0, 4]]) // { from: {id, address}, to: {id, address}, slots: [[0, 9]], slotCount: 10 }
 */
export function slotMove(from: NodeRef, to: NodeRef, slots: readonly SlotRange[]): SlotMove {
  const merged = normaliseRanges(slots);
  return { from: nodeRefOf(from), to: nodeRefOf(to), slots: merged, slotCount: countSlots(merged) };
}

/** The slots a list of moves carries, in all. */
export function slotsMovedBy(moves: readonly SlotMove[]): number {
  return moves.reduce((n, m) => n + m.slotCount, 0);
}

/**
 * The masters of an observed cluster as planner input, in the order given.
 *
 * @example
 *   mastersOf(view.nodes) // [{ id: '07c3...', address: '10.0.0.1:7000', slots: [[0, 5460]] }, ...]
 */
export function mastersOf(nodes: readonly ObservedNode[]): MasterLoad[] {
  return nodes.filter((n) => n.role === 'master').map((n) => ({ id: n.id, address: n.address, slots: n.slots }));
}

/**
 * Applies moves to the masters' slot ownership, without touching anything real: what the cluster
 * looks like once a plan has run (dry-run output, tests). Moves apply in order. Throws a
 * RangeError when a move names an unknown node or takes a slot its source does not own, since a
 * planner must never produce such a move.
 *
 * @example
 *   applyMoves([{ id: 'a', address: 'x:1', slots: [[0, 9]] }, { id: 'b', address: 'x:2', slots: [] }],
 *              [slotMove(a, b, [[0, 4]])])
 *   // [{ id: 'a', address: 'x:1', slots: [[5, 9]] }, { id: 'b', address: 'x:2', slots: [[0, 4]] }]
 */
export function applyMoves(masters: readonly MasterLoad[], moves: readonly SlotMove[]): MasterLoad[] {
  // One bitmap per master rather than sets of slot numbers: planning a move of thousands of slots
  // took 3-5 ms with sets, on the path of every request that moves slots.
  const owned = new Map(masters.map((m) => [m.id, bitmapOf(m.slots)]));
  for (const move of moves) {
    const from = owned.get(move.from.id);
    const to = owned.get(move.to.id);
    if (from === undefined) throw new RangeError(`move source ${move.from.id} is not a master`);
    if (to === undefined) throw new RangeError(`move target ${move.to.id} is not a master`);
    for (const [start, end] of move.slots) {
      for (let slot = start; slot <= end; slot++) {
        if (from[slot] !== 1) throw new RangeError(`slot ${slot} is not served by ${move.from.id}`);
        from[slot] = 0;
        to[slot] = 1;
      }
    }
  }
  return masters.map((m) => ({ ...m, slots: rangesOfBitmap(owned.get(m.id)!) }));
}

function bitmapOf(ranges: readonly SlotRange[]): Uint8Array {
  const bits = new Uint8Array(SLOT_COUNT);
  for (const [start, end] of ranges) bits.fill(1, start, end + 1);
  return bits;
}

function rangesOfBitmap(bits: Uint8Array): SlotRange[] {
  const ranges: SlotRange[] = [];
  for (let slot = 0; slot < bits.length; slot++) {
    if (bits[slot] !== 1) continue;
    const start = slot;
    while (slot + 1 < bits.length && bits[slot + 1] === 1) slot++;
    ranges.push([start, slot]);
  }
  return ranges;
}

/**
 * Builds moves from (from, to, slots) assignments, one per source/target pair in order of first
 * appearance, with merged ranges; empty assignments are dropped.
 */
export function groupMoves(assignments: Iterable<{ from: NodeRef; to: NodeRef; slots: readonly SlotRange[] }>): SlotMove[] {
  const byPair = new Map<string, { from: NodeRef; to: NodeRef; slots: SlotRange[] }>();
  for (const { from, to, slots } of assignments) {
    if (slots.length === 0) continue;
    const key = `${from.id} ${to.id}`;
    const entry = byPair.get(key) ?? { from, to, slots: [] };
    entry.slots.push(...slots);
    byPair.set(key, entry);
  }
  return [...byPair.values()].map(({ from, to, slots }) => slotMove(from, to, slots));
}
