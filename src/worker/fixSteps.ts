import { countSlots } from '../domain/slotRange.ts';
import { rangesToSlots } from '../domain/slotSet.ts';
import { addSlotsRange } from '../redis/addSlotsRange.ts';
import { closeOpenSlot } from '../redis/closeOpenSlots.ts';
import { setSlotImporting, setSlotNode } from '../redis/setSlot.ts';
import type { ExecutorsOf, StepExecutor } from './stepContext.ts';
import { MIGRATE_TIMEOUT_MS } from '../domain/timeouts.ts';
import { keyMoveFailure } from './keyMoveFailure.ts';
import { withMigrateConnections } from './migrateConnections.ts';
import { StepFailure } from './stepFailure.ts';

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Gives every slot no master serves to its planned owner: `CLUSTER ADDSLOTSRANGE` on the owner
 * (skipping what it serves already, refusing slots someone else took meanwhile), then `SETSLOT
 * NODE` on the other masters so they know at once instead of by gossip. Keys of those slots left
 * on other masters then move to the owner with MIGRATE: the holder is made to import the slot
 * first, which lets it hand the keys over, and the slot is closed as `closeOpenSlot` does.
 */
const coverSlots: StepExecutor<'cover_slots'> = async (ctx) => {
  const { assignments, strays, masters, replace = false, migrateTimeoutMs = MIGRATE_TIMEOUT_MS.default } = ctx.step.params;
  const slotsTotal = assignments.reduce((n, a) => n + countSlots(a.slots), 0);
  let covered = 0;
  for (const a of assignments) {
    ctx.signal.throwIfAborted();
    try {
      await addSlotsRange(await ctx.connections.get(a.owner.address), a.slots);
      const slots = rangesToSlots(a.slots);
      await Promise.all(masters.filter((m) => m.id !== a.owner.id).map(async (m) => setSlotNode(await ctx.connections.get(m.address), slots, a.owner.id)));
    } catch (err) {
      throw new StepFailure('cover_slots_failed', `could not give slots to ${a.owner.address}: ${messageOf(err)}`, [{ address: a.owner.address, reason: messageOf(err) }], { cause: err });
    }
    covered += countSlots(a.slots);
    ctx.reportProgress({ slotsMoved: covered, slotsTotal, keysMoved: 0 });
  }
  let keysMoved = 0;
  for (const stray of strays) {
    ctx.signal.throwIfAborted();
    try {
      await setSlotImporting(await ctx.connections.get(stray.from.address), [stray.slot], stray.to.id);
      const result = await withMigrateConnections(ctx, migrateTimeoutMs, (connections) => closeOpenSlot(connections, stray.slot, {
        intendedOwnerId: stray.to.id,
        masters,
        replace,
        timeoutMs: migrateTimeoutMs,
        ...(ctx.cluster.auth ? { auth: ctx.cluster.auth } : {}),
      }));
      keysMoved += result.keysMoved;
    } catch (err) {
      throw keyMoveFailure(err, 'fix', ctx.cluster.name, { replace, migrateTimeoutMs }) ?? new StepFailure('cover_slots_failed', `could not move the keys of slot ${stray.slot} from ${stray.from.address} to ${stray.to.address}: ${messageOf(err)}`,
        [{ address: stray.from.address, reason: `holds ${stray.keys} keys of slot ${stray.slot}` }], { cause: err });
    }
  }
  ctx.reportProgress({ slotsMoved: covered, slotsTotal, keysMoved });
  return { detail: `${covered} slots given to ${assignments.length} ${assignments.length === 1 ? 'master' : 'masters'}${strays.length > 0 ? `, ${keysMoved} stray keys moved to their owners` : ''}` };
};

/** Closes each open slot toward the owner the plan chose; each slot is closed whole, so a cancel stops between slots. */
const closeOpenSlots: StepExecutor<'close_open_slots'> = async (ctx) => {
  const { resolutions, masters, replace = false, migrateTimeoutMs = MIGRATE_TIMEOUT_MS.default } = ctx.step.params;
  // The fix's total counts the slots it covered before too.
  const slotsTotal = Math.max(ctx.operation.progress.slotsTotal ?? 0, resolutions.length);
  const before = slotsTotal - resolutions.length;
  let keysMoved = 0;
  let finished = 0;
  let rolledBack = 0;
  for (const [i, r] of resolutions.entries()) {
    ctx.signal.throwIfAborted();
    try {
      const result = await withMigrateConnections(ctx, migrateTimeoutMs, (connections) => closeOpenSlot(connections, r.slot, {
        intendedOwnerId: r.ownerId,
        masters,
        replace,
        timeoutMs: migrateTimeoutMs,
        ...(ctx.cluster.auth ? { auth: ctx.cluster.auth } : {}),
      }));
      keysMoved += result.keysMoved;
      if (result.action === 'finished') finished++;
      if (result.action === 'rolled_back') rolledBack++;
    } catch (err) {
      throw keyMoveFailure(err, 'fix', ctx.cluster.name, { replace, migrateTimeoutMs }) ?? new StepFailure('close_slot_failed', `slot ${r.slot} (${r.reason}): ${messageOf(err)}`, [{ address: r.ownerAddress, reason: `slot ${r.slot}` }], { cause: err });
    }
    ctx.reportProgress({ slotsMoved: before + i + 1, slotsTotal, keysMoved });
  }
  return { detail: `${finished} slots finished, ${rolledBack} rolled back, ${keysMoved} keys moved` };
};

/** The executors of a fix's steps. */
export const fixExecutors: ExecutorsOf<'cover_slots' | 'close_open_slots'> = {
  cover_slots: coverSlots,
  close_open_slots: closeOpenSlots,
};
