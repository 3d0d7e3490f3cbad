/** Keys of one slot to move with one `MIGRATE ... KEYS`, with their estimated sizes. */
export interface KeyBatch {
  readonly slot: number;
  readonly keys: readonly Buffer[];
  /** `MEMORY USAGE` per key (0 when unknown). */
  readonly sizes: readonly number[];
  /** Sum of `sizes`. */
  readonly bytes: number;
}

/**
 * Splits the keys of one slot into MIGRATE batches of at most `maxKeys` keys and `maxBytes` bytes,
 * in order. A key bigger than `maxBytes` travels alone, so it fails (or succeeds) on its own.
 *
 * @example planMigrateBatches(7, [k1, k2, k3], [10, 10, 50], 100, 25) // [[k1, k2], [k3]]
 */
export function planMigrateBatches(
  slot: number,
  keys: readonly Buffer[],
  sizes: readonly number[],
  maxKeys: number,
  maxBytes: number,
): KeyBatch[] {
  const batches: KeyBatch[] = [];
  let current: { keys: Buffer[]; sizes: number[]; bytes: number } = { keys: [], sizes: [], bytes: 0 };
  keys.forEach((key, i) => {
    const size = sizes[i] ?? 0;
    if (current.keys.length > 0 && (current.keys.length >= maxKeys || current.bytes + size > maxBytes)) {
      batches.push({ slot, ...current });
      current = { keys: [], sizes: [], bytes: 0 };
    }
    current.keys.push(key);
    current.sizes.push(size);
    current.bytes += size;
  });
  if (current.keys.length > 0) batches.push({ slot, ...current });
  return batches;
}

/**
 * Groups items, in order, into consecutive chunks whose `weight` sums stay within `budget`; an
 * item heavier than the budget gets a chunk of its own. Used to bound how many bytes of MIGRATE
 * traffic one pipeline carries, so no reply waits longer than the connection's command timeout.
 */
export function chunkByBudget<T>(items: readonly T[], weight: (item: T) => number, budget: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let total = 0;
  for (const item of items) {
    const w = weight(item);
    if (current.length > 0 && total + w > budget) {
      chunks.push(current);
      current = [];
      total = 0;
    }
    current.push(item);
    total += w;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
