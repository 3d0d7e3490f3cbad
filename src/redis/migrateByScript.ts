import type { Redis } from 'ioredis';
import type { KeyPacer } from './keyPacer.ts';
import type { MigrateTarget } from './migrateCommand.ts';
import { mayRunScripts, nodeScript, noteScriptRefusal, runNodeScript } from './nodeScripts.ts';

/**
 * The script behind {@link migrateByScript}. Per slot: `GETKEYSINSLOT`, `MEMORY USAGE` of each key,
 * then `MIGRATE ... KEYS` of batches within `batchKeys` and `batchBytes`, until the slot is empty.
 * It stops between MIGRATEs once the call has moved `maxKeys` keys or `maxBytes` bytes (so it holds
 * the node about as long as one big MIGRATE would), and at the first MIGRATE error, which it returns
 * instead of raising (a BUSYKEY batch has moved its other keys: they are counted, the caller sorts
 * out the rest).
 * Reply: {keys moved, slots emptied, error or false}. `pcall` on MEMORY USAGE: a key expiring
 * meanwhile sizes 0. Keys are not declared, hence `allow-cross-slot-keys`.
 */
const MIGRATE_SCRIPT = nodeScript(`#!lua flags=allow-cross-slot-keys
local host, port, timeout, replace = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1'
local batchKeys, batchBytes = tonumber(ARGV[5]), tonumber(ARGV[6])
local maxKeys, maxBytes = tonumber(ARGV[7]), tonumber(ARGV[8])
local movedKeys, movedBytes, emptied = 0, 0, 0
for i = 9, #ARGV do
  local slot = tonumber(ARGV[i])
  while true do
    if movedKeys >= maxKeys or movedBytes >= maxBytes then return {movedKeys, emptied, false} end
    local keys = redis.call('CLUSTER', 'GETKEYSINSLOT', slot, batchKeys)
    if #keys == 0 then break end
    local args = {'MIGRATE', host, port, '', 0, timeout}
    if replace then args[#args + 1] = 'REPLACE' end
    args[#args + 1] = 'KEYS'
    local first = #args + 1
    local bytes, n = 0, 0
    for _, key in ipairs(keys) do
      local size = redis.pcall('MEMORY', 'USAGE', key)
      if type(size) ~= 'number' then size = 0 end
      if n > 0 and bytes + size > batchBytes then break end
      args[#args + 1] = key
      n, bytes = n + 1, bytes + size
    end
    local reply = redis.pcall(unpack(args))
    if type(reply) == 'table' and reply.err then
      -- The batch's keys that left the source did move (BUSYKEY moves all but the busy ones).
      for j = first, #args do
        if redis.pcall('EXISTS', args[j]) ~= 1 then movedKeys = movedKeys + 1 end
      end
      return {movedKeys, emptied, reply.err}
    end
    movedKeys, movedBytes = movedKeys + n, movedBytes + bytes
  end
  emptied = emptied + 1
end
return {movedKeys, emptied, false}`);

/**
 * Per call, at most this many keys or bytes (checked between MIGRATEs): ~6 ms of the source's time
 * at ~12 us per 100-byte key (Redis 7.0.15, measured), so clients of the source wait no longer than
 * behind one MIGRATE of the pipeline path.
 */
export const SCRIPT_CALL_LIMITS = { keys: 500, bytes: 4 * 1024 * 1024 } as const;
/**
 * MIGRATE's timeout inside the script, below Redis's busy-script threshold (5 s) so that a slow or
 * unreachable target never makes the source answer BUSY; a batch that needs longer fails here and
 * goes again through the pipeline path with the full timeout.
 */
const SCRIPT_MIGRATE_TIMEOUT_MS = 1_000;

export interface MigrateByScriptOptions {
  readonly batchKeys: number;
  readonly batchBytes: number;
  readonly timeoutMs: number;
  readonly replace: boolean;
  readonly signal?: AbortSignal | undefined;
  readonly onKeysMoved?: ((keys: number, slot: number) => void) | undefined;
  /** Awaited after each call with the keys it moved (see `keyPacer`). */
  readonly pace?: KeyPacer | undefined;
  /** At most this many keys per call; at most `SCRIPT_CALL_LIMITS.keys`. */
  readonly keysPerCall?: number | undefined;
}

/** What the fast path did, and the slots it left to the pipeline path (in order, from the first unfinished one). */
export interface MigrateByScriptResult {
  readonly keysMoved: number;
  readonly unfinished: readonly number[];
}

/**
 * Whether {@link migrateByScript} may run: not when the target needs a password (it would travel
 * in the script's arguments, which SLOWLOG and MONITOR show; MIGRATE's own AUTH argument is
 * redacted there), not on a source that only imports the slots (its reads need ASKING, which a
 * script cannot send), not where the node refused our scripts before.
 */
export function canMigrateByScript(source: Redis, opts: { readonly hasPassword: boolean; readonly sourceImporting: boolean }): boolean {
  return !opts.hasPassword && !opts.sourceImporting && mayRunScripts(source);
}

/**
 * Moves the keys of `slots` from `source` to `target` with MIGRATE run by a script on the source:
 * the key names never travel to slotsmith and back, which on 2 shared cores takes ~1/5 off a
 * rebalance (the client's CPU was the one the nodes waited for). Call after {@link canMigrateByScript}.
 *
 * Any MIGRATE error (BUSYKEY, IOERR, ...) stops it: it returns the slots from the failing one on,
 * and the pipeline path (`migrateSlotsKeys`) moves those with its full handling (value comparison,
 * halving batches, naming a key too big). So does a refused script call. Cancellation is checked
 * between calls; a cancelled run also leaves the rest unfinished and the caller decides.
 */
export async function migrateByScript(
  source: Redis,
  target: Pick<MigrateTarget, 'ip' | 'port'>,
  slots: readonly number[],
  opts: MigrateByScriptOptions,
): Promise<MigrateByScriptResult> {
  let rest = [...slots];
  let keysMoved = 0;
  const fixed = [
    target.ip, target.port, Math.min(opts.timeoutMs, SCRIPT_MIGRATE_TIMEOUT_MS), opts.replace ? 1 : 0,
    opts.batchKeys, Number.isFinite(opts.batchBytes) ? opts.batchBytes : Number.MAX_SAFE_INTEGER,
    Math.max(1, Math.min(SCRIPT_CALL_LIMITS.keys, opts.keysPerCall ?? SCRIPT_CALL_LIMITS.keys)), SCRIPT_CALL_LIMITS.bytes,
  ];
  const perCall = fixed[6] as number;
  while (rest.length > 0 && !opts.signal?.aborted) {
    const settle = await opts.pace?.reserve(perCall, opts.signal);
    let reply: unknown;
    try {
      reply = await runNodeScript(source, MIGRATE_SCRIPT, [...fixed, ...rest]);
    } catch (err) {
      settle?.(0);
      if (err instanceof Error) noteScriptRefusal(source, err);
      break;
    }
    const [moved, emptied, error] = reply as [number, number, Buffer | null];
    settle?.(moved);
    keysMoved += moved;
    if (moved > 0) opts.onKeysMoved?.(moved, rest[0] as number);
    rest = rest.slice(emptied);
    if (error) break;
  }
  return { keysMoved, unfinished: rest };
}
