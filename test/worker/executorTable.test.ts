import assert from 'node:assert/strict';
import { test } from 'node:test';
import { step } from '../../src/domain/steps.ts';
import type { StepExecutor, StepExecutors } from '../../src/worker/stepContext.ts';
import { fakeExecutors } from '../helpers/fakeExecutors.ts';

// Type tests: `npm test` type-checks before it runs anything, so each `@ts-expect-error` below is
// proof that the compiler refuses the mistake (an unused expect-error fails the type check too).

test('an executor table without an executor for some step kind does not compile', () => {
  const { record_slots: _dropped, ...incomplete } = fakeExecutors();
  // @ts-expect-error record_slots has no executor
  const table: StepExecutors = incomplete;
  assert.equal(Object.keys(table).includes('record_slots'), false);
});

test('an executor reads its own params by kind, without a cast; a wrong field does not compile', () => {
  const moveSlots: StepExecutor<'move_slots'> = async (ctx) => {
    const { moves, masters, replace } = ctx.step.params;
    // @ts-expect-error move_slots has no `nodes` parameter
    void ctx.step.params.nodes;
    return { detail: `${moves.length} moves among ${masters.length} masters, replace ${replace}` };
  };
  assert.equal(typeof moveSlots, 'function');
});

test('a planner cannot freeze params of the wrong shape into a step', () => {
  // @ts-expect-error wait_converged takes { timeoutSeconds: number }
  const wrong = step('wait_converged', 'wait', { timeout: 60 });
  assert.equal(wrong[0], 'wait_converged');
});

test('an executor saves only the outputs its own kind records', () => {
  const tune: StepExecutor<'tune_nodes'> = async (ctx) => {
    await ctx.saveOutputs({ originals: {} });
    // @ts-expect-error tune_nodes records originals, not a node id
    await ctx.saveOutputs({ nodeId: 'x' });
    return { detail: String(ctx.outputsOf('check_new_node')?.nodeId) };
  };
  assert.equal(typeof tune, 'function');
});
