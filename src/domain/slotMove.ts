import { nodeRefOf, type NodeRef } from './nodeRef.ts';
import type { ObservedNode } from './observedTopology.ts';
import { countSlots, type SlotRange } from './slotRange.ts';
import { normaliseRanges, rangesToSlots, slotsToRanges } from './slotSet.ts';

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
  const owned = new Map(masters.map((m) => [m.id, new Set(rangesToSlots(m.slots))]));
  for (const move of moves) {
    const from = owned.get(move.from.id);
    const to = owned.get(move.to.id);
    if (from === undefined) throw new RangeError(`move source ${move.from.id} is not a master`);
    if (to === undefined) throw new RangeError(`move target ${move.to.id} is not a master`);
    for (const slot of rangesToSlots(move.slots)) {
      if (!from.delete(slot)) throw new RangeError(`slot ${slot} is not served by ${move.from.id}`);
      to.add(slot);
    }
  }
  return masters.map((m) => ({ ...m, slots: slotsToRanges([...owned.get(m.id)!]) }));
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
