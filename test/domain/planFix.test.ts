import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { planFix, resolveOpenSlots, type MoveHistory } from '../../src/domain/planFix.ts';

const A = { id: 'a'.repeat(40), address: '10.0.0.1:7000' };
const B = { id: 'b'.repeat(40), address: '10.0.0.2:7000' };
const C = { id: 'c'.repeat(40), address: '10.0.0.3:7000' };

const history: MoveHistory[] = [
  { operationId: 'op-new', kind: 'reshard', status: 'failed', moves: [{ from: A, to: C, slots: [[100, 199]] }] },
  { operationId: 'op-old', kind: 'rebalance', status: 'succeeded', moves: [{ from: A, to: B, slots: [[0, 150]] }] },
];

test('an open slot goes where the newest operation that planned it was moving it', () => {
  const { resolutions, unresolved } = resolveOpenSlots([120, 50], history, () => A);
  assert.deepEqual(unresolved, []);
  assert.deepEqual(resolutions.map((r) => [r.slot, r.ownerId, r.action]), [[120, C.id, 'finish'], [50, B.id, 'finish']]);
  assert.match(resolutions[0]!.reason, /reshard op-new \(failed\) was moving it from 10\.0\.0\.1:7000 to 10\.0\.0\.3:7000/);
});

test('a slot no operation planned is rolled back to its current owner; with no owner it is unresolved', () => {
  const { resolutions, unresolved } = resolveOpenSlots([9000, 9001], history, (slot) => (slot === 9000 ? B : null));
  assert.deepEqual(resolutions.map((r) => [r.slot, r.ownerId, r.action]), [[9000, B.id, 'roll_back']]);
  assert.deepEqual(unresolved.map((u) => u.slot), [9001]);
});

test('every open slot is resolved exactly once, never toward an unknown node', () => {
  fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 16383 }), { maxLength: 50 }), (open) => {
    const { resolutions, unresolved } = resolveOpenSlots(open, history, () => A);
    assert.equal(resolutions.length + unresolved.length, open.length);
    assert.deepEqual(resolutions.map((r) => r.slot).sort((x, y) => x - y), [...open].sort((x, y) => x - y));
    assert.ok(resolutions.every((r) => [A.id, B.id, C.id].includes(r.ownerId)));
  }));
});

test('the fix plan closes slots, then waits for agreement', () => {
  const { resolutions } = resolveOpenSlots([120], history, () => A);
  const plan = planFix({ resolutions, coverage: { assignments: [], strays: [] }, masters: [A, B, C], replace: false, convergeTimeoutSeconds: 60 });
  assert.deepEqual(plan.steps.map((s) => s.kind), ['close_open_slots', 'wait_converged', 'record_slots']);
  assert.ok(plan.steps.every((s) => s.status === 'pending'));
  assert.deepEqual(plan.resolutions, resolutions);
  assert.equal(plan.summary, 'close 1 open slots');
});
