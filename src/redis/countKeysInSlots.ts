import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import { addressOf } from './clientAddress.ts';
import { settlePipeline } from './settlePipeline.ts';

/**
 * How many keys the node behind `client` holds in `slots`, with one pipeline of
 * `CLUSTER COUNTKEYSINSLOT` (read-only; for dry runs and progress totals).
 *
 * @example await countKeysInSlots(client, [0, 1, 2]) // 37
 */
export async function countKeysInSlots(client: Redis, slots: readonly number[]): Promise<number> {
  return (await countKeysPerSlot(client, slots)).reduce((a, b) => a + b, 0);
}

/**
 * How many keys the node behind `client` holds in each of `slots` (in the same order), whether it
 * serves them or not: one pipeline of `CLUSTER COUNTKEYSINSLOT`, read-only.
 *
 * @example await countKeysPerSlot(client, [0, 1, 2]) // [12, 0, 25]
 */
export async function countKeysPerSlot(client: Redis, slots: readonly number[]): Promise<number[]> {
  const pipeline = client.pipeline();
  for (const slot of slots) pipeline.call('CLUSTER', 'COUNTKEYSINSLOT', slot);
  const replies = await settlePipeline(pipeline);
  return replies.map(([err, value], i) => {
    if (err) {
      throw new DomainError('unavailable', 'countkeysinslot_failed', `${addressOf(client)}: CLUSTER COUNTKEYSINSLOT ${slots[i]} failed: ${err.message}`, [], {
        cause: err,
      });
    }
    return Number(value);
  });
}
