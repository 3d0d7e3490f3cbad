import { SLOT_COUNT } from '../domain/slotRange.ts';
import { rangesToSlots } from '../domain/slotSet.ts';
import type { AtomicJobInFlight } from '../domain/migrationJob.ts';
import type { ClusterRecord } from '../store/records.ts';
import type { Observation, ServiceDeps } from './deps.ts';

const ALL_SLOTS = Array.from({ length: SLOT_COUNT }, (_, slot) => slot);

/** A master's keys in slots it neither serves nor imports, slot by slot. */
export interface MasterStrayKeys {
  readonly address: string;
  readonly nodeId: string;
  readonly slots: readonly { readonly slot: number; readonly keys: number }[];
}

/**
 * Keys each master holds in slots it neither serves nor imports: clients are redirected away from
 * them, so they cannot be read, and a later move of those slots would meet them. Slots an atomic
 * job in `inFlight` imports to a master are its own. One pipelined
 * `CLUSTER COUNTKEYSINSLOT` per slot on each master (read-only); masters without any are left out.
 */
export async function scanStrayKeys(
  deps: ServiceDeps, cluster: ClusterRecord, observation: Observation, masters: readonly { address: string; nodeId: string }[],
  inFlight: readonly AtomicJobInFlight[] = [],
): Promise<MasterStrayKeys[]> {
  const found = await Promise.all(masters.map(async ({ address, nodeId }): Promise<MasterStrayKeys[]> => {
    const node = observation.nodes.find((n) => n.id === nodeId);
    if (!node) return [];
    const counts = await deps.keysPerSlot(address, cluster.auth, ALL_SLOTS);
    // A node importing slots by an atomic job holds their keys before it serves them.
    const atomicImports = inFlight.filter((j) => j.address === address && j.direction === 'import').flatMap((j) => rangesToSlots(j.slots));
    const own = new Set([...rangesToSlots(node.slots), ...node.importing.map((o) => o.slot), ...atomicImports]);
    const slots = ALL_SLOTS.filter((slot) => (counts[slot] ?? 0) > 0 && !own.has(slot)).map((slot) => ({ slot, keys: counts[slot]! }));
    return slots.length === 0 ? [] : [{ address, nodeId, slots }];
  }));
  return found.flat();
}
