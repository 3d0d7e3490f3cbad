import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobSlotsKey, plannedJobs } from '../../src/domain/migrationJob.ts';
import type { ObservedNode } from '../../src/domain/observedTopology.ts';
import type { SlotRange } from '../../src/domain/slotRange.ts';
import { buildSteps, step, type Step } from '../../src/domain/steps.ts';
import type { ServiceDeps } from '../../src/service/deps.ts';
import { countFirstJobKeys } from '../../src/service/plans.ts';

const ref = (id: string) => ({ id, address: `${id}:1` });
const node = (id: string, role: 'master' | 'replica', more: Partial<ObservedNode> = {}): ObservedNode =>
  ({ id, address: `${id}:1`, role, masterId: null, flags: [role], linkState: 'connected', slots: [], migrating: [], importing: [], myself: false, ...more } as unknown as ObservedNode);

/** Deps whose count answers 100 per slot range asked, and fails on the addresses in `failing`. */
function fakeDeps(failing: readonly string[] = []): { deps: ServiceDeps; asked: string[] } {
  const asked: string[] = [];
  const deps = {
    countKeys: async (address: string, _auth: unknown, slots: readonly SlotRange[]) => {
      asked.push(address);
      if (failing.includes(address)) throw new Error('connection refused');
      return 100 * slots.length;
    },
  } as unknown as ServiceDeps;
  return { deps, asked };
}

const moves = [
  { from: ref('a'), to: ref('b'), slots: [[0, 9], [20, 29]] as SlotRange[], slotCount: 20 },
  { from: ref('c'), to: ref('d'), slots: [[100, 109]] as SlotRange[], slotCount: 10 },
];
/** A move step as an operation stores it: with the jobs of its first batch as outputs. */
const stepsWithJobs = () => buildSteps([step('move_slots', 'Move', { moves, masters: [], replace: false, engine: { kind: 'atomic', dialect: 'valkey', reason: 'every node runs it' } })])
  .map((s) => ({ ...s, outputs: { jobs: plannedJobs(moves, 'valkey', 0) } }) as Step);

test('the first atomic jobs are counted on a linked, healthy replica of their source, by their slots', async () => {
  const { deps, asked } = fakeDeps();
  const nodes = [
    node('a', 'master'), node('r-failing', 'replica', { masterId: 'a', flags: ['slave', 'fail'] }), node('r-a', 'replica', { masterId: 'a' }),
    node('c', 'master'), node('r-c', 'replica', { masterId: 'c', linkState: 'disconnected' }),
  ];
  const counts = countFirstJobKeys(deps, { auth: null }, nodes, stepsWithJobs());
  const [first, second] = plannedJobs(moves, 'valkey', 0);
  assert.deepEqual([...counts.keys()], [jobSlotsKey(first!), jobSlotsKey(second!)]);
  assert.equal(await counts.get(jobSlotsKey(first!)), 200);
  assert.equal(await counts.get(jobSlotsKey(second!)), 100);
  assert.deepEqual(asked, ['r-a:1', 'c:1'], 'a failing or unlinked replica is passed over; without a healthy one, the source counts');
});

test('a replica that cannot answer hands the count to the source; steps without atomic jobs count nothing', async () => {
  const { deps, asked } = fakeDeps(['r-a:1']);
  const counts = countFirstJobKeys(deps, { auth: null }, [node('a', 'master'), node('r-a', 'replica', { masterId: 'a' })], stepsWithJobs());
  assert.equal(await counts.get(jobSlotsKey(plannedJobs(moves, 'valkey', 0)[0]!)), 200);
  assert.deepEqual(asked, ['r-a:1', 'c:1', 'a:1'], 'the source counts after its replica failed');
  assert.equal(countFirstJobKeys(deps, { auth: null }, [], buildSteps([step('wait_converged', 'Wait', { timeoutSeconds: 5 })])).size, 0);
});
