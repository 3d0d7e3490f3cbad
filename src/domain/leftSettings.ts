import { isTerminal, type OperationKind, type OperationStatus } from './operation.ts';
import { isStepOf, type Step } from './steps.ts';

/** The setting `hold_replica_migration` lowers (see `planSlotMoves`, `planRemoveNode`). */
export const REPLICA_MIGRATION_SETTING = 'cluster-allow-replica-migration';
/** What `hold_replica_migration` sets it to. */
const HELD_REPLICA_MIGRATION = 'no';

/** One setting an operation changed on one node for its duration: what the node had, what it was given. */
export interface SettingChange {
  readonly address: string;
  /** The `CONFIG` parameter, e.g. `cluster-node-timeout`. */
  readonly name: string;
  /** The node's own value, saved before the change. */
  readonly original: string;
  /** The value the operation set. */
  readonly changed: string;
  /** Whether the step that puts it back succeeded (then the node got `original` again). */
  readonly restored: boolean;
}

/** A past operation as this module needs it: the settings it changed for its duration. */
export interface SettingsHistory {
  readonly operationId: string;
  readonly kind: OperationKind;
  readonly status: OperationStatus;
  readonly changes: readonly SettingChange[];
}

/** A setting a finished operation left changed on a node: still the value it set, not the node's own. */
export interface LeftSetting {
  readonly address: string;
  readonly name: string;
  /** What the node runs with now (the value the operation set). */
  readonly value: string;
  /** The node's own value, from before the operation (or before the first of several that left it). */
  readonly restoreTo: string;
  /** The operation that left it so. */
  readonly operationId: string;
  readonly kind: OperationKind;
}

/**
 * The settings one operation changed for its duration, from its steps' saved outputs: those of
 * `tune_nodes` (node timeout, diskless sync delay; put back by `restore_config`) and of
 * `hold_replica_migration` (put back by `restore_replica_migration`). A step that failed before it
 * saved its originals changed nothing and adds nothing.
 */
export function settingsHistoryOf(op: { readonly id: string; readonly kind: OperationKind; readonly status: OperationStatus; readonly steps: readonly Step[] }): SettingsHistory {
  const changes: SettingChange[] = [];
  const tune = op.steps.find(isStepOf('tune_nodes'));
  if (tune?.outputs?.originals) {
    const { settings, settingsOf = {} } = tune.params;
    const restored = op.steps.find(isStepOf('restore_config'))?.status === 'succeeded';
    for (const [address, originals] of Object.entries(tune.outputs.originals)) {
      for (const [name, changed] of Object.entries(settingsOf[address] ?? settings)) {
        const original = originals[name];
        if (original !== undefined) changes.push({ address, name, original, changed, restored });
      }
    }
  }
  const hold = op.steps.find(isStepOf('hold_replica_migration'));
  if (hold?.outputs?.originals) {
    const restored = op.steps.find(isStepOf('restore_replica_migration'))?.status === 'succeeded';
    for (const [address, original] of Object.entries(hold.outputs.originals)) {
      changes.push({ address, name: REPLICA_MIGRATION_SETTING, original, changed: HELD_REPLICA_MIGRATION, restored });
    }
  }
  return { operationId: op.id, kind: op.kind, status: op.status, changes };
}

/**
 * The settings that finished operations left changed on nodes and that the nodes still run with:
 * a restoring step failed (its node was unreachable, say), so the node kept the operation's value
 * (a node timeout of 500 ms, replica migration off). `history` is newest first, as the store lists
 * it; `current(address, name)` is the node's value now (undefined: not known, the node is not
 * judged). Operations still running are skipped: their changes are meant.
 *
 * Walked oldest first, per node and setting, because a later operation saves as "original" what it
 * finds: after an earlier one left the node timeout at 500, a later one saves 500, lowers it to
 * 500 and restores 500, and the node's own value is still the one from before the first. A
 * setting counts as left only while the node still has the value left on it (one changed since by
 * someone else is theirs).
 *
 * @example settingsLeftChanged([failedRebalance], () => 'no')
 *   // [{ address: '10.0.0.2:7001', name: 'cluster-allow-replica-migration', value: 'no', restoreTo: 'yes', operationId, kind: 'rebalance' }]
 */
export function settingsLeftChanged(history: readonly SettingsHistory[], current: (address: string, name: string) => string | undefined): LeftSetting[] {
  return stillLeft(candidatesLeftChanged(history), current);
}

/** The `candidates` whose node still has the value left on it, by `current` (see `settingsLeftChanged`). */
export function stillLeft(candidates: readonly LeftCandidate[], current: (address: string, name: string) => string | undefined): LeftSetting[] {
  return candidates.flatMap(({ leftValue, ...l }) => {
    const value = current(l.address, l.name);
    return value === leftValue ? [{ ...l, value }] : [];
  });
}

/** A setting the history says was left changed, with the value left on the node (`leftValue`), whether or not it still has it. */
export type LeftCandidate = Omit<LeftSetting, 'value'> & { readonly leftValue: string };

/**
 * What `settingsLeftChanged` judges before it asks the nodes: per node and setting, the value the
 * history left on it, sorted by address and name. A caller asks only these nodes for only these
 * settings.
 */
export function candidatesLeftChanged(history: readonly SettingsHistory[]): LeftCandidate[] {
  /** Per node and setting: the value left on it, and the node's own value to go back to. */
  const left = new Map<string, LeftCandidate>();
  for (const op of [...history].reverse()) {
    if (!isTerminal(op.status)) continue;
    for (const change of op.changes) {
      const key = `${change.address} ${change.name}`;
      const earlier = left.get(key);
      // The node's own value: an earlier operation's original when this one found what that one left.
      const own = earlier !== undefined && change.original === earlier.leftValue ? earlier.restoreTo : change.original;
      const after = change.restored ? change.original : change.changed;
      if (after === own) {
        left.delete(key);
        continue;
      }
      // An operation that left the node as it found it (restored, or set what was there) did not
      // leave it changed: an earlier one did.
      const blamed = after === change.original && earlier !== undefined ? earlier : { operationId: op.operationId, kind: op.kind };
      left.set(key, { address: change.address, name: change.name, restoreTo: own, leftValue: after, operationId: blamed.operationId, kind: blamed.kind });
    }
  }
  return [...left.values()].sort((a, b) => a.address.localeCompare(b.address) || a.name.localeCompare(b.name));
}
