import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isJobFinished, plannedJobs } from '../../src/domain/migrationJob.ts';
import { planSlotMoves } from '../../src/domain/planSlotMoves.ts';
import type { MasterLoad, SlotMove } from '../../src/domain/slotMove.ts';
import { isStepOf } from '../../src/domain/steps.ts';
import { queuedOperation } from '../../src/service/plans.ts';

const node = (id: string) => ({ id, address: `127.0.0.1:${7000 + id.charCodeAt(0)}` });
const move = (from: string, to: string, slots: [number, number][]): SlotMove => ({
  from: node(from), to: node(to), slots, slotCount: slots.reduce((n, [a, b]) => n + b - a + 1, 0),
});
// a -> d and b -> d share their target; c -> e shares nothing with a -> d.
const moves = [move('a', 'd', [[0, 99], [100, 199]]), move('b', 'd', [[5461, 5560]]), move('c', 'e', [[10923, 11022]])];

describe('plannedJobs', () => {
  test('on Valkey, one planned job per move, its ranges merged', () => {
    const jobs = plannedJobs(moves, 'valkey', 1000);
    assert.deepEqual(jobs.map((j) => [j.from.id, j.to.id, j.slots, j.slotCount]), [
      ['a', 'd', [[0, 199]], 200], ['b', 'd', [[5461, 5560]], 100], ['c', 'e', [[10923, 11022]], 100],
    ]);
    assert.ok(jobs.every((j) => j.state === 'planned' && j.id === null && j.attempt === 1 && j.requestedAt === 1000 && j.keys === 0));
    assert.equal(isJobFinished('planned'), false, 'a planned job still has to run');
  });

  test('on Redis, only moves whose nodes no earlier move of the batch takes (one task per node)', () => {
    assert.deepEqual(plannedJobs(moves, 'redis', 1000).map((j) => `${j.from.id}>${j.to.id}`), ['a>d', 'c>e']);
  });
});

describe('queuedOperation', () => {
  const masters: MasterLoad[] = ['a', 'b', 'c', 'd'].map((id, i) => ({ ...node(id), slots: i < 3 ? [[i * 5461, i * 5461 + 5460]] : [] }));
  const planOf = (engine: Parameters<typeof planSlotMoves>[0]['engine']) => planSlotMoves({
    kind: 'reshard', moves: [move('a', 'd', [[0, 99]])], masters, replicasOf: new Map(), replace: false, convergeTimeoutSeconds: 60,
    allowFewerThanThreeMasters: true, ...(engine ? { engine } : {}),
  });
  const caller = { tokenId: 't', name: 'tester', role: 'operator' as const };

  test('stores the jobs of an atomic move step\'s first batch with the operation, planned', () => {
    const op = queuedOperation(planOf({ kind: 'atomic', dialect: 'redis', reason: 'test' }), caller, 'c1');
    const jobs = op.steps.find(isStepOf('move_slots'))?.outputs?.jobs;
    assert.deepEqual(jobs?.map((j) => [j.from.id, j.to.id, j.slots, j.state]), [['a', 'd', [[0, 99]], 'planned']]);
  });

  test('stores nothing ahead for the key engine', () => {
    const op = queuedOperation(planOf({ kind: 'keys', reason: 'test' }), caller, 'c1');
    assert.equal(op.steps.find(isStepOf('move_slots'))?.outputs, null);
  });
});
