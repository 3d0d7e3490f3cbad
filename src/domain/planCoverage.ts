import type { NodeRef } from './nodeRef.ts';
import type { MasterLoad } from './slotMove.ts';
import { countSlots, formatRanges, type SlotRange } from './slotRange.ts';
import { normaliseRanges, rangesToSlots, slotsToRanges } from './slotSet.ts';
import { spreadSlots } from './spreadSlots.ts';

/** Slots no master serves, given to one master, and why. */
export interface SlotAssignment {
  readonly owner: NodeRef;
  readonly slots: readonly SlotRange[];
  readonly reason: string;
}

/** Keys of a slot found on a master that does not get the slot: they move to its new owner. */
export interface StrayKeys {
  readonly slot: number;
  readonly from: NodeRef;
  readonly to: NodeRef;
  readonly keys: number;
}

/**
 * Decides who serves the slots that no master serves, as `redis-cli --cluster fix` does for
 * uncovered slots, but deterministically:
 * - a slot whose keys one master holds goes to that master; when several hold keys of it, to the
 *   one holding most (then the lowest address), and the others' keys move there (`strays`);
 * - slots without keys anywhere are spread over the masters that serve slots (all masters when
 *   none does), the emptiest first, in contiguous runs (see `spreadSlots`), so the cluster stays
 *   as even as it can without moving any served slot.
 * `keysIn(masterId, slot)` says how many keys a master holds in a slot.
 *
 * @example
 *   planCoverage([100], masters, (id, slot) => (id === a.id && slot === 100 ? 3 : 0))
 *   // { assignments: [{ owner: a, slots: [[100, 100]], reason: 'it holds keys of 1 of them' }], strays: [] }
 */
export function planCoverage(
  uncovered: readonly number[],
  masters: readonly MasterLoad[],
  keysIn: (masterId: string, slot: number) => number,
): { assignments: SlotAssignment[]; strays: StrayKeys[] } {
  if (uncovered.length === 0 || masters.length === 0) return { assignments: [], strays: [] };
  const byKeys = new Map<string, number[]>();
  const strays: StrayKeys[] = [];
  const empty: number[] = [];
  const ordered = [...masters].sort((a, b) => a.address.localeCompare(b.address));
  for (const slot of [...uncovered].sort((a, b) => a - b)) {
    const holders = ordered.map((m) => ({ m, keys: keysIn(m.id, slot) })).filter((h) => h.keys > 0);
    if (holders.length === 0) {
      empty.push(slot);
      continue;
    }
    const owner = holders.reduce((best, h) => (h.keys > best.keys ? h : best));
    byKeys.set(owner.m.id, [...(byKeys.get(owner.m.id) ?? []), slot]);
    for (const h of holders) if (h !== owner) strays.push({ slot, from: ref(h.m), to: ref(owner.m), keys: h.keys });
  }
  const assignments: SlotAssignment[] = [];
  for (const m of masters) {
    const slots = byKeys.get(m.id);
    if (slots) assignments.push({ owner: ref(m), slots: slotsToRanges(slots), reason: `it holds keys of ${slots.length === 1 ? 'this slot' : `${slots.length} of these slots`}` });
  }
  const serving = masters.filter((m) => countSlots(m.slots) > 0);
  for (const gift of spreadSlots(slotsToRanges(empty), serving.length > 0 ? serving : masters)) {
    const existing = assignments.find((a) => a.owner.id === gift.to.id);
    const reason = `no master holds keys of ${countSlots(gift.slots) === 1 ? 'this slot' : 'these slots'}; it serves the fewest slots`;
    if (existing) {
      assignments[assignments.indexOf(existing)] = {
        owner: existing.owner,
        slots: normaliseRanges([...existing.slots, ...gift.slots]),
        reason: `${existing.reason}; the others have no keys and it serves the fewest slots`,
      };
    } else {
      assignments.push({ owner: ref(gift.to), slots: gift.slots, reason });
    }
  }
  return { assignments, strays };
}

/** `0-99,500` for a summary. */
export function describeAssignments(assignments: readonly SlotAssignment[]): string {
  return assignments.map((a) => `slots ${formatRanges(a.slots.slice(0, 5))}${a.slots.length > 5 ? ',...' : ''} to ${a.owner.address}`).join('; ');
}

function ref(m: NodeRef): NodeRef {
  return { id: m.id, address: m.address };
}

