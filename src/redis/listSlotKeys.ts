import type { ChainableCommander, Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import { addressOf } from './clientAddress.ts';
import { loadNodeScript, mayRunScripts, nodeScript, noteScriptRefusal } from './nodeScripts.ts';
import { settlePipeline, type PipelineReply } from './settlePipeline.ts';

/** Keys of one slot and their `MEMORY USAGE` in bytes (all 0 when not measured or gone meanwhile). */
export interface SlotKeys {
  readonly keys: readonly Buffer[];
  readonly sizes: readonly number[];
}

/** How to list: keys per slot, whether to measure, whether the node only imports the slots. */
export interface ListSlotKeysOptions {
  /** At most this many keys per slot (`CLUSTER GETKEYSINSLOT slot count`). */
  readonly count: number;
  /** Also read each key's `MEMORY USAGE`. */
  readonly measure: boolean;
  /** The node imports these slots and does not serve them: keyed reads need `ASKING` (no script then). */
  readonly asking: boolean;
}

/**
 * Listing and measuring inside one read-only script: a pipeline of `MEMORY USAGE` costs ~9 us of
 * client work per key (50,000 keys: ~450 ms) and sends every key name back to the node; the
 * script costs ~3 us per key on the node and one round trip per window (Redis 7.0.15, measured).
 * Keys are not declared (ARGV only, `allow-cross-slot-keys`), so the slots of a whole window go
 * in one call; `pcall` turns a key gone meanwhile (an ASK on a migrating source) into size 0.
 * The script stops after the slot that brings it past `maxTotal` keys, so one call never holds
 * the node for long; slots it did not reach are simply missing from the result.
 */
const LIST_SCRIPT = nodeScript(`#!lua flags=no-writes,allow-cross-slot-keys
local count, maxTotal, total, result = tonumber(ARGV[1]), tonumber(ARGV[2]), 0, {}
for i = 3, #ARGV do
  if total >= maxTotal then break end
  local keys = redis.call('CLUSTER', 'GETKEYSINSLOT', tonumber(ARGV[i]), count)
  local entry = {}
  for j, key in ipairs(keys) do
    local size = redis.pcall('MEMORY', 'USAGE', key)
    entry[2 * j - 1] = key
    entry[2 * j] = type(size) == 'number' and size or 0
  end
  total = total + #keys
  result[#result + 1] = entry
end
return result`);
/** Keys one script call lists at most (plus the rest of the slot that crosses it): ~30 ms of work. */
const MAX_KEYS_PER_CALL = 10_000;

/** A listing queued on a pipeline; `read` turns that pipeline's replies into the result. */
export interface QueuedListing {
  read(replies: readonly PipelineReply[]): Promise<Map<number, SlotKeys>>;
}

/**
 * The keys of `slots` on the node behind `client` (up to `count` per slot), measured when asked.
 * The result may lack some slots (too many keys for one call): list those again.
 */
export async function listSlotKeys(client: Redis, slots: readonly number[], opts: ListSlotKeysOptions): Promise<Map<number, SlotKeys>> {
  if (slots.length === 0) return new Map();
  const pipeline = client.pipeline();
  const listing = queueListSlotKeys(client, pipeline, slots, opts);
  return listing.read(await settlePipeline(pipeline));
}

/**
 * Queues a listing of `slots` at the end of `pipeline` (so it rides along with other commands, e.g.
 * after a pipeline of MIGRATEs, to learn what is left). Call `read` with the replies of exactly
 * the commands queued from here on.
 */
export function queueListSlotKeys(client: Redis, pipeline: ChainableCommander, slots: readonly number[], opts: ListSlotKeysOptions): QueuedListing {
  if (opts.measure && !opts.asking && mayRunScripts(client)) {
    const args = [0, opts.count, MAX_KEYS_PER_CALL, ...slots];
    pipeline.callBuffer('EVALSHA', LIST_SCRIPT.sha, ...args);
    return {
      read: async ([reply]) => {
        const [err, value] = reply ?? [new Error('missing reply'), null];
        if (err === null) return fromScript(slots, value as unknown[][]);
        try {
          // NOSCRIPT: the node does not have it yet (first use, restart, SCRIPT FLUSH).
          if (/NOSCRIPT/.test(err.message)) return fromScript(slots, (await loadNodeScript(client, LIST_SCRIPT, args.slice(1))) as unknown[][]);
          noteScriptRefusal(client, err);
        } catch (error) {
          if (error instanceof Error) noteScriptRefusal(client, error);
        }
        return listWithPipeline(client, slots, opts);
      },
    };
  }
  return queuePipelineListing(client, pipeline, slots, opts);
}

async function listWithPipeline(client: Redis, slots: readonly number[], opts: ListSlotKeysOptions): Promise<Map<number, SlotKeys>> {
  const pipeline = client.pipeline();
  const listing = queuePipelineListing(client, pipeline, slots, opts);
  return listing.read(await settlePipeline(pipeline));
}

/** `CLUSTER GETKEYSINSLOT` per slot, then a pipeline of `MEMORY USAGE` when measuring. */
function queuePipelineListing(client: Redis, pipeline: ChainableCommander, slots: readonly number[], opts: ListSlotKeysOptions): QueuedListing {
  for (const slot of slots) pipeline.callBuffer('CLUSTER', 'GETKEYSINSLOT', slot, opts.count);
  return {
    read: async (replies) => {
      const keysBySlot = slots.map((slot, i) => {
        const [err, value] = replies[i] ?? [new Error('missing reply'), null];
        if (err) {
          throw new DomainError('unavailable', 'getkeysinslot_failed', `${addressOf(client)}: CLUSTER GETKEYSINSLOT ${slot} failed: ${err.message}`, [], {
            cause: err,
          });
        }
        return value as Buffer[];
      });
      const sizes = opts.measure ? await measureWithPipeline(client, keysBySlot.flat(), opts.asking) : [];
      let offset = 0;
      return new Map(
        slots.map((slot, i) => {
          const keys = keysBySlot[i] ?? [];
          const entry = { keys, sizes: keys.map((_, j) => sizes[offset + j] ?? 0) };
          offset += keys.length;
          return [slot, entry];
        }),
      );
    },
  };
}

function fromScript(slots: readonly number[], entries: unknown[][]): Map<number, SlotKeys> {
  return new Map(
    entries.map((entry, i) => {
      const keys: Buffer[] = [];
      const sizes: number[] = [];
      for (let j = 0; j + 1 < entry.length; j += 2) {
        keys.push(entry[j] as Buffer);
        sizes.push(Number(entry[j + 1]));
      }
      return [slots[i] as number, { keys, sizes }];
    }),
  );
}

async function measureWithPipeline(client: Redis, keys: readonly Buffer[], asking: boolean): Promise<number[]> {
  if (keys.length === 0) return [];
  const pipeline = client.pipeline();
  for (const key of keys) {
    if (asking) pipeline.call('ASKING');
    pipeline.call('MEMORY', 'USAGE', key);
  }
  const replies = await settlePipeline(pipeline);
  const step = asking ? 2 : 1;
  // nil (gone) and ASK (gone from a migrating source) both mean nothing left to move.
  return keys.map((_, i) => Number(replies[i * step + step - 1]?.[1] ?? 0));
}
