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
  const pipeline = client.pipeline();
  for (const slot of slots) pipeline.call('CLUSTER', 'COUNTKEYSINSLOT', slot);
  const replies = await settlePipeline(pipeline);
  let total = 0;
  for (const [i, [err, value]] of replies.entries()) {
    if (err) {
      throw new DomainError('unavailable', 'countkeysinslot_failed', `${addressOf(client)}: CLUSTER COUNTKEYSINSLOT ${slots[i]} failed: ${err.message}`, [], {
        cause: err,
      });
    }
    total += Number(value);
  }
  return total;
}
