import type { AtomicDialect } from '../domain/serverCapabilities.ts';
import type { NodeRef } from '../domain/nodeRef.ts';
import type { OperationKind } from '../domain/operation.ts';
import type { SlotResolution } from '../domain/planFix.ts';
import type { SlotMove } from '../domain/slotMove.ts';
import type { SlotRange } from '../domain/slotRange.ts';
import type { StepKind } from '../domain/steps.ts';

/** A planned slot move with the keys its slots hold now. */
export interface SlotMoveView {
  from: NodeRef;
  to: NodeRef;
  slots: SlotRange[];
  slotCount: SlotMove['slotCount'];
  /** Keys in these slots on the source now. */
  keys: number;
  /** How its slots travel (the plan's `migration`). */
  engine: 'atomic' | 'keys';
}

/**
 * What every dry run answers, over REST (`200`) and gRPC (`Plan`): the exact steps the real call
 * would freeze, the slot moves with their current key counts, the replica changes, one line of
 * summary, and for a create its shards, for a fix how each open slot is closed and who gets the
 * slots no master serves. Lists that do not
 * apply to the kind are empty. Nothing was changed.
 */
export interface PlanView {
  dryRun: true;
  kind: OperationKind;
  cluster: string;
  summary: string;
  steps: { id: string; kind: StepKind; title: string }[];
  moves: SlotMoveView[];
  /** How the moves' slots travel, and why; null when nothing moves. */
  migration: { engine: 'atomic' | 'keys'; dialect?: AtomicDialect; reason: string } | null;
  slotsTotal: number;
  keysTotal: number;
  replicas: { replica: NodeRef; master: NodeRef }[];
  shards: { index: number; master: string; replicas: string[]; slots: SlotRange[] }[];
  resolutions: SlotResolution[];
  /** Fix: who serves each slot no master serves now, and why. */
  assignments: { owner: NodeRef; slots: SlotRange[]; reason: string }[];
}
