import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import { formatRanges, MAX_SLOT, SLOT_COUNT, type SlotRange } from '../domain/slotRange.ts';
import { slotRangesWhere } from '../domain/slotSet.ts';
import { addressOf } from './clientAddress.ts';
import { readClusterView } from './readClusterView.ts';

/**
 * Assigns `ranges` to the node behind `client` with one `CLUSTER ADDSLOTSRANGE` (Redis >= 7.0),
 * for the slots it does not serve yet. Refuses (DomainError `precondition`, `slots_owned_elsewhere`)
 * when any of them is served by another node in this node's view, naming the slots and the owner.
 *
 * @returns whether any slot was added.
 * @example await addSlotsRange(client, [[0, 5460]])
 */
export async function addSlotsRange(client: Redis, ranges: readonly SlotRange[]): Promise<boolean> {
  for (const [start, end] of ranges) {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > MAX_SLOT || start > end) {
      throw new DomainError('invalid', 'invalid_slot_range', `invalid slot range ${start}-${end}`);
    }
  }
  const { nodes, myself } = await readClusterView(client);
  const owner: (string | undefined)[] = new Array<string | undefined>(SLOT_COUNT);
  for (const node of nodes) {
    for (const [start, end] of node.slots) for (let s = start; s <= end; s++) owner[s] = node.id;
  }
  const wanted = new Uint8Array(SLOT_COUNT);
  for (const [start, end] of ranges) wanted.fill(1, start, end + 1);

  const conflicts = nodes
    .filter((n) => n.id !== myself.id)
    .map((n) => ({ node: n, slots: slotRangesWhere((s) => wanted[s] === 1 && owner[s] === n.id) }))
    .filter((c) => c.slots.length > 0);
  if (conflicts.length > 0) {
    const described = conflicts
      .map((c) => `slots ${formatRanges(c.slots)} are served by ${c.node.address} (${c.node.id})`)
      .join('; ');
    throw new DomainError(
      'precondition',
      'slots_owned_elsewhere',
      `${addressOf(client)}: cannot assign slots: ${described}`,
    );
  }

  const missing = slotRangesWhere((s) => wanted[s] === 1 && owner[s] !== myself.id);
  if (missing.length === 0) return false;
  await client.call('CLUSTER', 'ADDSLOTSRANGE', ...missing.flatMap(([start, end]) => [String(start), String(end)]));
  return true;
}
