import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storedError, storedSteps } from '../../src/store/storedOperation.ts';

const a = { id: 'a'.repeat(40), address: '10.0.0.1:7000' };
const b = { id: 'b'.repeat(40), address: '10.0.0.2:7000' };
const pending = { status: 'pending', startedAt: null, finishedAt: null, detail: null, outputs: null };

test('a move_slots step stored before it carried its masters gets them from its check_cluster step', () => {
  const legacy = [
    { id: '1-check_cluster', kind: 'check_cluster', title: 'Check', params: { masters: [a, b] }, ...pending },
    { id: '2-move_slots', kind: 'move_slots', title: 'Move', params: { moves: [], replace: false }, ...pending },
  ];
  const steps = storedSteps(legacy);
  const move = steps[1]!;
  assert.equal(move.kind, 'move_slots');
  assert.deepEqual(move.kind === 'move_slots' && move.params.masters, [a, b]);
  const current = storedSteps(steps);
  assert.deepEqual(current, steps, 'a current row reads as it is');
});

test('an error stored with an HTTP status reads as a kind: 500 internal, anything else unprocessable', () => {
  assert.equal(storedError(null), null);
  assert.equal(storedError({ type: 'urn:slotsmith:problem:step_failed', title: 't', status: 500, detail: 'd', code: 'step_failed' })?.kind, 'internal');
  const refused = storedError({ type: 'urn:slotsmith:problem:busy_keys', title: 't', status: 422, detail: 'd', code: 'busy_keys', nodes: [{ address: 'x:1', reason: 'r' }] });
  assert.equal(refused?.kind, 'unprocessable');
  assert.deepEqual(refused?.nodes, [{ address: 'x:1', reason: 'r' }]);
  assert.equal(storedError({ kind: 'internal', title: 't', detail: 'd', code: 'c' })?.kind, 'internal');
});
