import { closeOpenSlot } from '../redis/closeOpenSlots.ts';
import type { ExecutorsOf } from './stepContext.ts';
import { StepFailure } from './stepFailure.ts';

/** The executor of a fix's step. */
export const fixExecutors: ExecutorsOf<'close_open_slots'> = {
  /** Closes each open slot toward the owner the plan chose; each slot is closed whole, so a cancel stops between slots. */
  close_open_slots: async (ctx) => {
    const { resolutions, masters } = ctx.step.params;
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
        throw new StepFailure('close_slot_failed', `slot ${r.slot} (${r.reason}): ${err instanceof Error ? err.message : String(err)}`, [{ address: r.ownerAddress, reason: `slot ${r.slot}` }], { cause: err });
      }
      ctx.reportProgress({ slotsMoved: i + 1, slotsTotal: resolutions.length, keysMoved });
    }
    return { detail: `${finished} slots finished, ${rolledBack} rolled back, ${keysMoved} keys moved` };
  },
};
