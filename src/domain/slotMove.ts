import type { ObservedNode } from './observedTopology.ts';
import type { SlotRange } from './slotRange.ts';
import { normaliseRanges, rangesToSlots, slotsToRanges } from './slotSet.ts';

/** Slots to move from one master to another, by node id; `slots` are sorted, merged ranges. */
export interface SlotMove {
  readonly from: string;
  readonly to: string;
  readonly slots: readonly SlotRange[];
}

/** A master and the slots it serves, as the planners see it. */
export interface MasterLoad {
  readonly id: string;
  /** `ip:port`, for messages. */
  readonly address: string;
  readonly slots: readonly SlotRange[];
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
 *              [{ from: 'a', to: 'b', slots: [[0, 4]] }])
 *   // [{ id: 'a', address: 'x:1', slots: [[5, 9]] }, { id: 'b', address: 'x:2', slots: [[0, 4]] }]
 */
export function applyMoves(masters: readonly MasterLoad[], moves: readonly SlotMove[]): MasterLoad[] {
  const owned = new Map(masters.map((m) => [m.id, new Set(rangesToSlots(m.slots))]));
  for (const move of moves) {
    const from = owned.get(move.from);
    const to = owned.get(move.to);
    if (from === undefined) throw new RangeError(`move source ${move.from} is not a master`);
    if (to === undefined) throw new RangeError(`move target ${move.to} is not a master`);
    for (const slot of rangesToSlots(move.slots)) {
      if (!from.delete(slot)) throw new RangeError(`slot ${slot} is not served by ${move.from}`);
      to.add(slot);
    }
  }
  return masters.map((m) => ({ ...m, slots: slotsToRanges([...owned.get(m.id)!]) }));
}

/**
 * Builds SlotMove entries from (from, to, slot) assignments, one per source/target pair in order
 * of first appearance, with merged ranges.
 */
export function groupMoves(assignments: Iterable<{ from: string; to: string; slots: readonly SlotRange[] }>): SlotMove[] {
  const byPair = new Map<string, { from: string; to: string; slots: SlotRange[] }>();
  for (const { from, to, slots } of assignments) {
    if (slots.length === 0) continue;
    const key = `${from} ${to}`;
    const entry = byPair.get(key) ?? { from, to, slots: [] };
    entry.slots.push(...slots);
    byPair.set(key, entry);
  }
  return [...byPair.values()].map(({ from, to, slots }) => ({ from, to, slots: normaliseRanges(slots) }));
}
