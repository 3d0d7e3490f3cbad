import type { SlotResolution } from '../domain/planFix.ts';
import { closeOpenSlot } from '../redis/closeOpenSlots.ts';
import type { StepExecutor } from './stepContext.ts';
import { StepFailure } from './stepFailure.ts';

/** Closes each open slot toward the owner the plan chose; each slot is closed whole, so a cancel stops between slots. */
export const closeOpenSlots: StepExecutor = async (ctx) => {
  const resolutions = (ctx.step.params.resolutions ?? []) as SlotResolution[];
  const masters = (ctx.step.params.masters ?? []) as { id: string; address: string }[];
  let keysMoved = 0;
  let finished = 0;
  let rolledBack = 0;
  for (const [i, r] of resolutions.entries()) {
    ctx.signal.throwIfAborted();
    try {
      const result = await closeOpenSlot(ctx.connections, r.slot, {
        intendedOwnerId: r.ownerId,
        masters,
        ...(ctx.cluster.auth ? { auth: ctx.cluster.auth } : {}),
      });
      keysMoved += result.keysMoved;
      if (result.action === 'finished') finished++;
      if (result.action === 'rolled_back') rolledBack++;
    } catch (err) {
      throw new StepFailure('close_slot_failed', `slot ${r.slot} (${r.reason}): ${(err as Error).message}`, [{ address: r.ownerAddress, reason: `slot ${r.slot}` }], { cause: err });
    }
    ctx.reportProgress({ slotsMoved: i + 1, slotsTotal: resolutions.length, keysMoved });
  }
  return { detail: `${finished} slots finished, ${rolledBack} rolled back, ${keysMoved} keys moved` };
};
