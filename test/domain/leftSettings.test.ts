import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { candidatesLeftChanged, settingsHistoryOf, settingsLeftChanged, type SettingsHistory } from '../../src/domain/leftSettings.ts';
import type { OperationKind, OperationStatus } from '../../src/domain/operation.ts';
import { planFix } from '../../src/domain/planFix.ts';
import { buildSteps, step, type Step, type StepStatus } from '../../src/domain/steps.ts';

const A = '10.0.0.1:7001';
const B = '10.0.0.2:7002';
const TIMEOUT = 'cluster-node-timeout';
const DELAY = 'repl-diskless-sync-delay';

/** A failover-like operation that tuned `nodes` and whose restore step ended `restore`. */
function tuned(id: string, status: OperationStatus, originals: Record<string, Record<string, string>>, restore: StepStatus, kind: OperationKind = 'failover'): { id: string; kind: OperationKind; status: OperationStatus; steps: Step[] } {
  const nodes = Object.keys(originals);
  const steps = buildSteps([
    step('tune_nodes', 'tune', { nodes, settings: { [TIMEOUT]: '500' }, settingsOf: { [B]: { [DELAY]: '0' } } }),
    step('restore_config', 'restore', { nodes }),
  ]);
  steps[0]!.status = 'succeeded';
  steps[0]!.outputs = { originals } as never;
  steps[1]!.status = restore;
  return { id, kind, status, steps };
}

function history(...ops: ReturnType<typeof tuned>[]): SettingsHistory[] {
  return ops.map(settingsHistoryOf).reverse(); // newest first, as the store lists them
}

describe('settings left changed', () => {
  test('what one operation changed: the settings of each node as tuned, restored or not', () => {
    const h = settingsHistoryOf(tuned('op1', 'failed', { [A]: { [TIMEOUT]: '15000', [DELAY]: '5' }, [B]: { [TIMEOUT]: '15000', [DELAY]: '5' } }, 'failed'));
    assert.deepEqual(h.changes, [
      { address: A, name: TIMEOUT, original: '15000', changed: '500', restored: false },
      { address: B, name: DELAY, original: '5', changed: '0', restored: false },
    ]);
    const drain = buildSteps([
      step('hold_replica_migration', 'hold', { nodes: [A] }),
      step('restore_replica_migration', 'restore', {}),
    ]);
    drain[0]!.outputs = { originals: { [A]: 'yes' } } as never;
    drain[1]!.status = 'succeeded';
    assert.deepEqual(settingsHistoryOf({ id: 'op2', kind: 'rebalance', status: 'succeeded', steps: drain }).changes, [
      { address: A, name: 'cluster-allow-replica-migration', original: 'yes', changed: 'no', restored: true },
    ]);
    // A tune that failed before it saved anything changed nothing.
    const unsaved = tuned('op3', 'failed', {}, 'skipped');
    unsaved.steps[0]!.outputs = null;
    assert.deepEqual(settingsHistoryOf(unsaved).changes, []);
  });

  test('a failed restore is reported while the node still runs with the operation\'s value, and only then', () => {
    const h = history(tuned('op1', 'failed', { [A]: { [TIMEOUT]: '15000' } }, 'failed'));
    assert.deepEqual(settingsLeftChanged(h, () => '500'), [{ address: A, name: TIMEOUT, value: '500', restoreTo: '15000', operationId: 'op1', kind: 'failover' }]);
    assert.deepEqual(settingsLeftChanged(h, () => '15000'), [], 'put back since (by hand, or by a restart)');
    assert.deepEqual(settingsLeftChanged(h, () => '2000'), [], 'changed since by someone else: theirs');
    assert.deepEqual(settingsLeftChanged(h, () => undefined), [], 'a node not asked is not judged');
  });

  test('a later operation that saved the left value as its original does not hide the node\'s own', () => {
    const h = history(
      tuned('op1', 'failed', { [A]: { [TIMEOUT]: '15000' } }, 'failed'),
      tuned('op2', 'succeeded', { [A]: { [TIMEOUT]: '500' } }, 'succeeded', 'move_replica'),
    );
    assert.deepEqual(settingsLeftChanged(h, () => '500'), [{ address: A, name: TIMEOUT, value: '500', restoreTo: '15000', operationId: 'op1', kind: 'failover' }]);
    // Two failed ones in a row: still the first one's original, and the first one left it.
    const twice = history(
      tuned('op1', 'failed', { [A]: { [TIMEOUT]: '15000' } }, 'failed'),
      tuned('op2', 'cancelled', { [A]: { [TIMEOUT]: '500' } }, 'failed'),
    );
    assert.deepEqual(settingsLeftChanged(twice, () => '500').map((l) => [l.restoreTo, l.operationId]), [['15000', 'op1']]);
  });

  test('a later operation that found the node\'s own value and restored it clears the finding; one still running is not judged', () => {
    const fixedByHand = history(
      tuned('op1', 'failed', { [A]: { [TIMEOUT]: '15000' } }, 'failed'),
      tuned('op2', 'succeeded', { [A]: { [TIMEOUT]: '15000' } }, 'succeeded'),
    );
    assert.deepEqual(candidatesLeftChanged(fixedByHand), []);
    const running = history(tuned('op1', 'running', { [A]: { [TIMEOUT]: '15000' } }, 'pending'));
    assert.deepEqual(settingsLeftChanged(running, () => '500'), []);
  });

  test('findings are sorted by node and setting', () => {
    const h = history(tuned('op1', 'failed', { [B]: { [TIMEOUT]: '15000', [DELAY]: '5' }, [A]: { [TIMEOUT]: '15000' } }, 'failed'));
    assert.deepEqual(settingsLeftChanged(h, (_a, name) => (name === TIMEOUT ? '500' : '0')).map((l) => `${l.address} ${l.name}`), [`${A} ${TIMEOUT}`, `${B} ${DELAY}`]);
  });

  test('a fix puts them back first, and says so', () => {
    const left = settingsLeftChanged(history(tuned('op1', 'failed', { [A]: { [TIMEOUT]: '15000' } }, 'failed')), () => '500');
    const plan = planFix({ resolutions: [], coverage: { assignments: [], strays: [] }, masters: [], replace: false, convergeTimeoutSeconds: 60, leftSettings: left });
    assert.deepEqual(plan.steps.map((s) => s.kind), ['restore_settings', 'wait_converged', 'record_slots']);
    assert.equal(plan.summary, `put back ${TIMEOUT}=15000 on ${A} (left 500 by failover op1)`);
    assert.match(planFix({ resolutions: [], coverage: { assignments: [], strays: [] }, masters: [], replace: false, convergeTimeoutSeconds: 60 }).summary, /^nothing to fix: .*no operation left a setting changed/);
  });
});
