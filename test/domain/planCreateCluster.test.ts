import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CREATE_TUNING, planCreateCluster } from '../../src/domain/planCreateCluster.ts';
import { planShards } from '../../src/domain/planShards.ts';
import { isStepOf } from '../../src/domain/steps.ts';

const layouts = fc.record({ masters: fc.integer({ min: 3, max: 12 }), replicas: fc.integer({ min: 0, max: 3 }) }).map(({ masters, replicas }) => {
  const addresses = Array.from({ length: masters * (1 + replicas) }, (_, i) => `10.0.${i % 4}.${i}:7000`);
  return { shards: planShards(addresses, replicas), addresses, replicas };
});

test('the create plan has every step in order, all pending, and covers every node', () => {
  fc.assert(fc.property(layouts, ({ shards, addresses, replicas }) => {
    const plan = planCreateCluster({ shards, readyTimeoutSeconds: 60 });
    const { steps } = plan;
    assert.equal(plan.kind, 'create_cluster');
    assert.deepEqual(plan.shards, shards);
    assert.equal(plan.summary, `${shards.length} masters, ${replicas} ${replicas === 1 ? 'replica' : 'replicas'} each`);
    assert.deepEqual(steps.map((s) => s.kind), ['check_nodes', 'tune_nodes', 'set_config_epochs', 'assign_slots', 'meet_nodes', 'assign_replicas', 'wait_ready', 'restore_config']);
    assert.ok(steps.every((s) => s.status === 'pending' && s.outputs === null));
    assert.equal(new Set(steps.map((s) => s.id)).size, steps.length);
    assert.deepEqual([...steps.find(isStepOf('check_nodes'))!.params.nodes].sort(), [...addresses].sort());
    assert.deepEqual(steps.find(isStepOf('tune_nodes'))!.params.settings, CREATE_TUNING);

    const epochs = Object.values(steps.find(isStepOf('set_config_epochs'))!.params.epochs);
    assert.equal(epochs.length, addresses.length);
    assert.equal(new Set(epochs).size, epochs.length, 'config epochs are distinct');
    assert.ok(epochs.every((e) => e >= 1));

    const assigned = steps.find(isStepOf('assign_slots'))!.params.assignments.flatMap((a) => a.slots);
    assert.equal(assigned.reduce((n, [s, e]) => n + e - s + 1, 0), 16384);

    const pairs = steps.find(isStepOf('assign_replicas'))!.params.replicas;
    assert.equal(pairs.length, shards.length * replicas);
    const masters = new Set(shards.map((s) => s.master));
    assert.ok(pairs.every((p) => masters.has(p.master) && !masters.has(p.replica)));
  }));
});

test('masters get higher config epochs than replicas', () => {
  const shards = planShards(['a:1', 'b:1', 'c:1', 'd:1', 'e:1', 'f:1'], 1);
  const { epochs } = planCreateCluster({ shards, readyTimeoutSeconds: 5 }).steps.find(isStepOf('set_config_epochs'))!.params;
  const masterEpochs = shards.map((s) => epochs[s.master]!);
  const replicaEpochs = shards.flatMap((s) => s.replicas.map((r) => epochs[r]!));
  assert.ok(Math.min(...masterEpochs) > Math.max(...replicaEpochs));
});
