import { NO_HEALING } from '../../src/domain/healingPolicy.ts';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildSteps, step, type Step } from '../../src/domain/steps.ts';
import { silentLogger } from '../../src/logger.ts';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';
import type { ObservedCluster } from '../../src/redis/observeCluster.ts';
import type { ClusterRecord, OperationRecord } from '../../src/store/records.ts';
import { progressMeter } from '../../src/worker/progressMeter.ts';
import type { PlannedLook, StepExecutors } from '../../src/worker/stepContext.ts';
import { StepFailure } from '../../src/worker/stepFailure.ts';
import { RunStopped, runSteps, type StepRecorder } from '../../src/worker/stepLoop.ts';
import { fakeClock } from '../helpers/fakeClock.ts';
import { fakeExecutors } from '../helpers/fakeExecutors.ts';

const at = new Date('2026-11-30T00:00:00Z');
const cluster: ClusterRecord = {
  id: 'c-1', name: 'c1', spec: { nodes: [], replicasPerShard: 0, shards: [] }, auth: null, phase: 'ready', healing: NO_HEALING, createdAt: at, updatedAt: at,
};

function operationOf(steps: Step[]): OperationRecord {
  return {
    id: 'op-1', clusterId: cluster.id, clusterName: cluster.name, kind: 'reshard', status: 'running', steps,
    progress: { percent: 0, stepsDone: 0, stepsTotal: steps.length, currentStep: null }, error: null, requestedBy: 'test',
    lockedBy: 'w', leaseExpiresAt: null, attempts: 1, createdAt: at, startedAt: at, finishedAt: null, updatedAt: at,
  };
}

/** A recorder that keeps every save (as step statuses) and every event. */
/** `storeWhileWaiting` shows among the events as `(stored)`, where the loop asked for it. */
function recording(steps: readonly Step[]): StepRecorder & { saves: string[][]; events: { type: string; message: string }[] } {
  const saves: string[][] = [];
  const events: { type: string; message: string }[] = [];
  return {
    saves,
    events,
    save: () => {
      saves.push(steps.map((s) => s.status));
    },
    event: (type, message) => {
      events.push({ type, message });
    },
    flushState: async () => undefined,
    storeWhileWaiting: () => {
      events.push({ type: '(stored)', message: '' });
    },
  };
}

/** The steps of a reshard: check, move, wait, then the cleanup step that records the slots. */
const reshardSteps = () => buildSteps([
  step('check_cluster', 'Check', { masters: [] }),
  step('move_slots', 'Move', { moves: [], masters: [], replace: false }),
  step('wait_converged', 'Wait', { timeoutSeconds: 60 }),
  step('record_slots', 'Record', {}),
]);

function run(steps: Step[], executors: StepExecutors, signals: {
  stop?: AbortSignal; cancel?: AbortSignal; onNodesSettled?: (look: () => Promise<ObservedCluster>) => void; plannedLook?: PlannedLook;
} = {}) {
  const recorder = recording(steps);
  const clock = fakeClock();
  const outcome = runSteps({
    operation: operationOf(steps), cluster, steps, executors, connections: new NodeConnections(),
    meter: progressMeter(operationOf(steps).progress, clock), recorder,
    recordNodeIds: async () => undefined,
    stop: signals.stop ?? new AbortController().signal,
    cancel: signals.cancel ?? new AbortController().signal,
    now: () => at, log: silentLogger,
    ...(signals.onNodesSettled ? { onNodesSettled: signals.onNodesSettled } : {}),
    plannedLook: signals.plannedLook,
  });
  return { outcome, recorder };
}

describe('runSteps', () => {
  test('tells once that the nodes are settled: before a tail that only records the desired topology, or at the end', async () => {
    const order: string[] = [];
    const note = (kind: string) => async () => (order.push(kind), { detail: kind });
    const executors = fakeExecutors({ check_cluster: note('check'), move_slots: note('move'), wait_converged: note('wait'), record_slots: note('record') });
    const hooks = { onNodesSettled: () => order.push('settled') };
    await run(reshardSteps(), executors, hooks).outcome;
    assert.deepEqual(order, ['check', 'move', 'wait', 'settled', 'record']);
    order.length = 0;
    const noTail = buildSteps([step('check_cluster', 'Check', { masters: [] }), step('wait_converged', 'Wait', { timeoutSeconds: 60 })]);
    await run(noTail, executors, hooks).outcome;
    assert.deepEqual(order, ['check', 'wait', 'settled']);
    order.length = 0;
    const noWait = buildSteps([step('check_cluster', 'Check', { masters: [] }), step('record_slots', 'Record', {})]);
    await run(noWait, executors, hooks).outcome;
    assert.deepEqual(order, ['check', 'settled', 'record']);
  });

  test('a look handed over by the step before a read-only tail is the look of the tail and of the settled nodes', async () => {
    const lookOf = (by: string): ObservedCluster => ({ nodes: [], reached: [{ address: by, nodeId: by }], unreachable: [], views: [], stats: new Map() });
    const seen: string[] = [];
    const executors = fakeExecutors({
      // A look made before a step that changes the nodes is stale by the time the tail runs.
      check_cluster: async (ctx) => (ctx.noteLook(lookOf('check')), { detail: 'checked' }),
      wait_converged: async (ctx) => (ctx.noteLook(lookOf('wait')), { detail: 'agree' }),
      record_slots: async (ctx) => (seen.push(`record:${(await ctx.observeNodes()).reached[0]?.address}`), { detail: 'recorded' }),
    });
    await run(reshardSteps(), executors, { onNodesSettled: (look) => void look().then((o) => seen.push(`settled:${o.reached[0]?.address}`)) }).outcome;
    assert.deepEqual(seen.sort(), ['record:wait', 'settled:wait']);
    seen.length = 0;
    const stale = fakeExecutors({
      check_cluster: async (ctx) => (ctx.noteLook(lookOf('check')), { detail: 'checked' }),
      record_slots: async (ctx) => (seen.push(`record:${(await ctx.observeNodes()).reached.length}`), { detail: 'recorded' }),
    });
    await run(reshardSteps(), stale).outcome;
    assert.deepEqual(seen, ['record:0'], 'the tail asks the nodes itself (this cluster has none) instead of taking the look of check_cluster');
  });

  test('the look an operation was planned from reaches the steps until one that changes the nodes has run', async () => {
    const planned: PlannedLook = { nodes: [], reached: [{ address: 'planned', nodeId: 'n1' }], unreachable: [], views: [] };
    const seen: string[] = [];
    const sees = (kind: string) => async (ctx: { plannedLook: PlannedLook | null }) => (seen.push(`${kind}:${ctx.plannedLook?.reached[0]?.address ?? 'none'}`), { detail: kind });
    const executors = fakeExecutors({
      check_cluster: sees('check'),
      move_slots: async (ctx) => {
        seen.push(`move:${ctx.plannedLook?.reached[0]?.address ?? 'none'}`);
        return { detail: 'moved' };
      },
      wait_converged: sees('wait'), record_slots: sees('record'),
    });
    await run(reshardSteps(), executors, { plannedLook: planned }).outcome;
    assert.deepEqual(seen, ['check:planned', 'move:planned', 'wait:none', 'record:none'], 'check_cluster only reads: the move still gets the look; after the move nothing does');
    seen.length = 0;
    await run(reshardSteps(), executors).outcome;
    assert.deepEqual(seen, ['check:none', 'move:none', 'wait:none', 'record:none'], 'without a look handed to the run, every step asks the nodes');
  });

  test('runs every step in order, recording each start and end', async () => {
    const steps = reshardSteps();
    const order: string[] = [];
    const { outcome, recorder } = run(steps, fakeExecutors({
      check_cluster: async (ctx) => (order.push(ctx.step.kind), { detail: `${ctx.step.params.masters.length} masters` }),
      move_slots: async (ctx) => (order.push(ctx.step.kind), { detail: `${ctx.step.params.moves.length} moves` }),
      wait_converged: async (ctx) => (order.push(ctx.step.kind), { detail: `within ${ctx.step.params.timeoutSeconds} s` }),
      record_slots: async (ctx) => (order.push(ctx.step.kind), { detail: 'recorded' }),
    }));
    assert.deepEqual(await outcome, { status: 'succeeded' });
    assert.deepEqual(order, ['check_cluster', 'move_slots', 'wait_converged', 'record_slots']);
    assert.deepEqual(steps.map((s) => [s.status, s.detail]), [['succeeded', '0 masters'], ['succeeded', '0 moves'], ['succeeded', 'within 60 s'], ['succeeded', 'recorded']]);
    assert.deepEqual(recorder.events.map((e) => e.type), ['step_started', 'step_succeeded', 'step_started', 'step_succeeded',
      'step_started', '(stored)', 'step_succeeded', 'step_started', 'step_succeeded'], 'what was recorded is stored as the wait for the nodes starts');
    assert.deepEqual(recorder.saves[0], ['running', 'pending', 'pending', 'pending'], 'a step is stored as running before it runs');
  });

  test('a resumed run skips what succeeded and runs a step left running again', async () => {
    const steps = reshardSteps();
    steps[0]!.status = 'succeeded';
    steps[1]!.status = 'running';
    const ran: string[] = [];
    const { outcome } = run(steps, fakeExecutors({
      check_cluster: async () => assert.fail('already done'),
      move_slots: async () => (ran.push('move_slots'), { detail: 'resumed' }),
    }));
    assert.deepEqual(await outcome, { status: 'succeeded' });
    assert.deepEqual(ran, ['move_slots']);
  });

  test('a failure skips the ordinary steps after it but still runs cleanup; a failing cleanup does not replace the cause', async () => {
    const steps = reshardSteps();
    const { outcome, recorder } = run(steps, fakeExecutors({
      move_slots: async () => {
        throw new StepFailure('busy_keys', 'key k exists on both', [{ address: '10.0.0.2:7000', reason: 'holds k' }]);
      },
      record_slots: async () => {
        throw new Error('database away');
      },
    }));
    const result = await outcome;
    assert.equal(result.status, 'failed');
    assert.deepEqual(result.status === 'failed' && result.error, {
      kind: 'unprocessable', code: 'busy_keys', title: 'Step failed: Move', detail: 'key k exists on both', nodes: [{ address: '10.0.0.2:7000', reason: 'holds k' }],
    });
    assert.deepEqual(steps.map((s) => s.status), ['succeeded', 'failed', 'skipped', 'failed']);
    assert.equal(steps[2]!.detail, 'not run: an earlier step failed');
    assert.deepEqual(recorder.events.filter((e) => e.type === 'step_failed').length, 2);
  });

  test('an unexpected error becomes an internal step_failed', async () => {
    const steps = reshardSteps();
    const result = await run(steps, fakeExecutors({ check_cluster: async () => { throw new TypeError('boom'); } })).outcome;
    assert.deepEqual(result.status === 'failed' && result.error, { kind: 'internal', code: 'step_failed', title: 'Step failed: Check', detail: 'boom' });
  });

  test('a cancel during a step stops it at its safe point, skips the rest, and still runs cleanup', async () => {
    const steps = reshardSteps();
    const cancel = new AbortController();
    const { outcome, recorder } = run(steps, fakeExecutors({
      move_slots: async (ctx) => {
        cancel.abort();
        ctx.signal.throwIfAborted();
        return { detail: 'not reached' };
      },
      record_slots: async (ctx) => ({ detail: `cleanup ran, signal aborted: ${ctx.signal.aborted}` }),
    }), { cancel: cancel.signal });
    assert.deepEqual(await outcome, { status: 'cancelled' });
    assert.deepEqual(steps.map((s) => s.status), ['succeeded', 'skipped', 'skipped', 'succeeded']);
    assert.equal(steps[1]!.detail, 'stopped: the operation was cancelled');
    assert.equal(steps[2]!.detail, 'not run: the operation was cancelled');
    assert.equal(steps[3]!.detail, 'cleanup ran, signal aborted: false', 'a cleanup step is not cancelled');
    assert.ok(recorder.events.some((e) => e.type === 'step_cancelled'));
  });

  test('a lost lease or a shutdown stops the run and leaves the step in flight for the next owner', async () => {
    const steps = reshardSteps();
    const stop = new AbortController();
    const { outcome, recorder } = run(steps, fakeExecutors({
      move_slots: async (ctx) => {
        stop.abort(new Error('lease lost'));
        ctx.signal.throwIfAborted();
        return { detail: 'not reached' };
      },
    }), { stop: stop.signal });
    await assert.rejects(outcome, RunStopped);
    assert.deepEqual(steps.map((s) => s.status), ['succeeded', 'running', 'pending', 'pending']);
    assert.equal(recorder.events.at(-1)?.type, 'step_started');
  });

  test('outputs a step saves are stored at once and read back, typed, by a later step', async () => {
    const steps = buildSteps([
      step('tune_nodes', 'Tune', { nodes: ['10.0.0.1:7000'], settings: { 'cluster-node-timeout': '500' } }),
      step('restore_config', 'Restore', { nodes: ['10.0.0.1:7000'] }),
    ]);
    let restored: unknown;
    const { outcome, recorder } = run(steps, fakeExecutors({
      tune_nodes: async (ctx) => {
        await ctx.saveOutputs({ originals: { '10.0.0.1:7000': { 'cluster-node-timeout': '15000' } } });
        return { detail: 'tuned' };
      },
      restore_config: async (ctx) => {
        restored = ctx.outputsOf('tune_nodes')?.originals;
        return { detail: 'restored' };
      },
    }));
    assert.deepEqual(await outcome, { status: 'succeeded' });
    assert.deepEqual(restored, { '10.0.0.1:7000': { 'cluster-node-timeout': '15000' } });
    assert.equal(recorder.saves.length, 5, 'running, outputs, succeeded, running, succeeded');
  });

  test('in-step progress is stored at most every 500 ms of the meter, and settled before the step ends', async () => {
    const steps = reshardSteps();
    const { outcome, recorder } = run(steps, fakeExecutors({
      move_slots: async (ctx) => {
        for (let i = 1; i <= 10; i++) ctx.reportProgress({ slotsMoved: i, slotsTotal: 10, keysMoved: i * 10 });
        return { detail: 'moved' };
      },
    }));
    await outcome;
    // check: 2 saves; move: running, one progress save (the clock stands still), succeeded; wait: 2; record: 2.
    assert.equal(recorder.saves.length, 9);
  });
});
