import type { LeftSetting } from './leftSettings.ts';
import type { NodeRef } from './nodeRef.ts';
import type { OperationKind, OperationStatus } from './operation.ts';
import { plan, type Plan } from './plan.ts';
import type { SlotMove } from './slotMove.ts';
import { describeAssignments, type SlotAssignment, type StrayKeys } from './planCoverage.ts';
import { countSlots } from './slotRange.ts';
import { buildSteps, RECORD_SLOTS_STEP, step, type StepSpec } from './steps.ts';

/** A past operation as the fix planner needs it: what it meant to move, newest first. */
export interface MoveHistory {
  readonly operationId: string;
  readonly kind: OperationKind;
  readonly status: OperationStatus;
  readonly moves: readonly Pick<SlotMove, 'from' | 'to' | 'slots'>[];
}

/** How one open slot will be closed, and why. */
export interface SlotResolution {
  readonly slot: number;
  /** The master that serves the slot at the end. */
  readonly ownerId: string;
  readonly ownerAddress: string;
  readonly action: 'finish' | 'roll_back';
  readonly reason: string;
}

/**
 * Decides, from the operation history rather than from guesses, where each open slot goes: the
 * newest operation that planned to move the slot says where it was going, so the move is finished
 * toward that target. A slot that no operation of ours meant to move (opened by hand or by another
 * tool) is rolled back to the master that serves it now.
 *
 * @example
 *   resolveOpenSlots([100], history, currentOwner)
 *   // [{ slot: 100, ownerId: 'b..', action: 'finish', reason: 'reshard 3f2a... (failed) was moving it from ... to ...' }]
 */
export function resolveOpenSlots(
  openSlots: readonly number[],
  history: readonly MoveHistory[],
  currentOwner: (slot: number) => NodeRef | null,
): { resolutions: SlotResolution[]; unresolved: { slot: number; reason: string }[] } {
  const resolutions: SlotResolution[] = [];
  const unresolved: { slot: number; reason: string }[] = [];
  for (const slot of openSlots) {
    const planned = findPlannedMove(slot, history);
    if (planned) {
      resolutions.push({
        slot,
        ownerId: planned.move.to.id,
        ownerAddress: planned.move.to.address,
        action: 'finish',
        reason: `${planned.op.kind} ${planned.op.operationId} (${planned.op.status}) was moving it from ${planned.move.from.address} to ${planned.move.to.address}`,
      });
      continue;
    }
    const owner = currentOwner(slot);
    if (!owner) {
      unresolved.push({ slot, reason: 'no operation of slotsmith moved it and no master serves it' });
      continue;
    }
    resolutions.push({ slot, ownerId: owner.id, ownerAddress: owner.address, action: 'roll_back', reason: `no slotsmith operation moved it: it stays with ${owner.address}, which serves it now` });
  }
  return { resolutions, unresolved };
}

function findPlannedMove(slot: number, history: readonly MoveHistory[]) {
  for (const op of history) {
    for (const move of op.moves) {
      if (move.slots.some(([s, e]) => s <= slot && slot <= e)) return { op, move };
    }
  }
  return null;
}

/** What a fix does, from the planners: open slots to close, uncovered slots to give out. */
export interface FixInput {
  readonly resolutions: readonly SlotResolution[];
  readonly coverage: { readonly assignments: readonly SlotAssignment[]; readonly strays: readonly StrayKeys[] };
  /** Every master now: told each new owner. */
  readonly masters: readonly NodeRef[];
  /**
   * Where both sides of a move hold a key with different values (BUSYKEY), the copy that moves
   * overwrites the other: when finishing a move, the old owner's copy wins; when rolling one back,
   * the importing node's copy wins (it was the newer one written there during the move).
   */
  readonly replace: boolean;
  /** MIGRATE timeout in ms (absent: the default). */
  readonly migrateTimeoutMs?: number | undefined;
  readonly convergeTimeoutSeconds: number;
  /** Settings finished operations left changed on nodes (see `settingsLeftChanged`): put back first. */
  readonly leftSettings?: readonly LeftSetting[];
}

/**
 * The plan of a fix: give every slot no master serves to its planned owner (with its stray keys),
 * close every open slot as resolved, wait until every node agrees, then record the slots each
 * master serves in the desired topology (a cleanup step, see `RECORD_SLOTS_STEP`).
 *
 * @example planFix({ resolutions, coverage, masters, replace: false, convergeTimeoutSeconds: 60 }).summary // 'close 2 open slots'
 */
export function planFix({ resolutions, coverage, masters, replace, migrateTimeoutMs, convergeTimeoutSeconds, leftSettings = [] }: FixInput): Plan {
  const keyOptions = { ...(replace ? { replace } : {}), ...(migrateTimeoutMs === undefined ? {} : { migrateTimeoutMs }) };
  const uncovered = coverage.assignments.reduce((n, a) => n + countSlots(a.slots), 0);
  const specs: StepSpec[] = [];
  const settingsSaid = describeLeftSettings(leftSettings);
  // First: a node left with a 500 ms node timeout could be failed over by the slot repairs' load.
  if (leftSettings.length > 0) specs.push(step('restore_settings', `Put back ${settingsSaid}`, { settings: leftSettings }));
  if (uncovered > 0) {
    const owners = [...new Set(coverage.assignments.map((a) => a.owner.address))];
    specs.push(step('copy_functions', `Make sure ${owners.join(', ')} hold the cluster's function libraries before serving more slots`, { from: masters.map((m) => m.address), to: owners }));
  }
  if (uncovered > 0 || coverage.strays.length > 0) {
    const title = [
      ...(uncovered > 0 ? [`Give ${uncovered} slots that no master serves to ${coverage.assignments.length} ${coverage.assignments.length === 1 ? 'master' : 'masters'}`] : []),
      ...(coverage.strays.length > 0 ? [`move the stray keys of ${new Set(coverage.strays.map((s) => s.slot)).size} slots to the masters serving them`] : []),
    ].join(', then ');
    specs.push(step('cover_slots', title.charAt(0).toUpperCase() + title.slice(1), {
      assignments: coverage.assignments, strays: coverage.strays, masters, ...keyOptions,
    }));
  }
  if (resolutions.length > 0) {
    specs.push(step('close_open_slots', `Close ${resolutions.length} open ${resolutions.length === 1 ? 'slot' : 'slots'}`, { resolutions, masters, ...keyOptions }));
  }
  specs.push(
    step('wait_converged', 'Wait until every node agrees on the slot owners', { timeoutSeconds: convergeTimeoutSeconds }),
    RECORD_SLOTS_STEP,
  );
  const parts = [
    ...(leftSettings.length > 0 ? [`put back ${settingsSaid}`] : []),
    ...(uncovered > 0 ? [`give ${uncovered} uncovered slots to masters (${describeAssignments(coverage.assignments)})`] : []),
    ...(coverage.strays.length > 0 ? [`move the stray keys of ${new Set(coverage.strays.map((s) => s.slot)).size} slots to the masters serving them`] : []),
    ...(resolutions.length > 0 ? [`close ${resolutions.length} open slots`] : []),
  ];
  const summary = parts.length === 0 ? 'nothing to fix: no slot is open or without a master, no key is out of place, and no operation left a setting changed'
    : `${parts.join('; ')}${replace ? '; where both sides hold a key, the copy that moves overwrites the other' : ''}`;
  return plan('fix', summary, buildSteps(specs), { resolutions, assignments: coverage.assignments });
}

/** `cluster-node-timeout=15000 on 10.0.0.1:7001 (left 500 by failover 3f2a...)`, for titles and summaries. */
function describeLeftSettings(settings: readonly LeftSetting[]): string {
  return settings.map((s) => `${s.name}=${s.restoreTo} on ${s.address} (left ${s.value} by ${s.kind} ${s.operationId})`).join(', ');
}
