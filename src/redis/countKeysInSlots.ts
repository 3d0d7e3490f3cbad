import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import type { SlotRange } from '../domain/slotRange.ts';
import { normaliseRanges, rangesToSlots, takeFirstSlots } from '../domain/slotSet.ts';
import { addressOf } from './clientAddress.ts';
import { settlePipeline } from './settlePipeline.ts';

/**
 * Sums `CLUSTER COUNTKEYSINSLOT` over the ranges in ARGV (start, end, start, end, ...) on the
 * server: one reply instead of one per slot, which matters for a few thousand slots (2730 slots:
 * 4-9 ms against 10-40 ms pipelined, measured on Redis 7.0, Redis 8.6 and Valkey 9.1).
 */
const SUM_SCRIPT = `local n = 0
for i = 1, #ARGV, 2 do
  for s = tonumber(ARGV[i]), tonumber(ARGV[i + 1]) do n = n + redis.call('CLUSTER', 'COUNTKEYSINSLOT', s) end
end
return n`;
/** Slots one script counts at most, so that no call holds the node for more than a few milliseconds. */
const SLOTS_PER_SCRIPT = 4096;

/**
 * How many keys the node behind `client` holds in the slots of `ranges` (read-only; for dry runs
 * and progress totals): summed on the node by a short script per {@link SLOTS_PER_SCRIPT} slots,
 * all in one pipeline; where scripts are not allowed (ACL, `noscript`), one
 * `CLUSTER COUNTKEYSINSLOT` per slot. Takes ranges, as moves and jobs hold them: a list of a few
 * thousand slots cost ~1 ms to turn back into ranges at the start of every atomic job here.
 *
 * @example await countKeysInSlots(client, [[0, 2]]) // 37
 */
export async function countKeysInSlots(client: Redis, ranges: readonly SlotRange[]): Promise<number> {
  let rest = normaliseRanges(ranges);
  if (rest.length === 0) return 0;
  const pipeline = client.pipeline();
  while (rest.length > 0) {
    const { taken, rest: after } = takeFirstSlots(rest, SLOTS_PER_SCRIPT);
    pipeline.call('EVAL', SUM_SCRIPT, '0', ...taken.flatMap(([a, b]) => [a, b]));
    rest = after;
  }
  const replies = await settlePipeline(pipeline);
  if (replies.some(([err]) => err)) return (await countKeysPerSlot(client, rangesToSlots(ranges))).reduce((a, b) => a + b, 0);
  return replies.reduce((n, [, value]) => n + Number(value), 0);
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
