import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planAddNode } from '../../src/domain/planAddNode.ts';
import { planFailover } from '../../src/domain/planFailover.ts';
import { planMoveReplica } from '../../src/domain/planMoveReplica.ts';
import { planRemoveNode } from '../../src/domain/planRemoveNode.ts';
import { isStepOf, type Step } from '../../src/domain/steps.ts';

const members = [{ id: 'a'.repeat(40), address: 'h1:7000' }, { id: 'b'.repeat(40), address: 'h2:7000' }];
const kinds = ({ steps }: { steps: readonly Step[] }) => steps.map((s) => s.kind);
const wait = ({ steps }: { steps: readonly Step[] }) => steps.find(isStepOf('wait_topology'))!.params;

describe('topology plans', () => {
  test('adding a replica: check first, tune and restore the new node, replicate, wait on every node', () => {
    const plan = planAddNode({ address: 'h3:7000', nodeId: 'c'.repeat(40), role: 'replica', master: members[0]!, masterChosen: true, members, timeoutSeconds: 60 });
    assert.deepEqual(kinds(plan), ['check_new_node', 'tune_nodes', 'meet_new_node', 'wait_known', 'replicate_nodes', 'wait_topology', 'restore_config', 'release_new_node']);
    assert.deepEqual(plan.steps.map((s) => s.id).slice(0, 2), ['1-check_new_node', '2-tune_nodes']);
    // The master it syncs from starts the sync at once instead of waiting 5 s for more replicas.
    assert.deepEqual(plan.steps.find(isStepOf('tune_nodes'))!.params, {
      nodes: ['h3:7000', 'h1:7000'], settings: { 'cluster-node-timeout': '500' }, settingsOf: { 'h1:7000': { 'repl-diskless-sync-delay': '0' } },
    });
    assert.deepEqual(plan.steps.find(isStepOf('restore_config'))!.params, { nodes: ['h3:7000', 'h1:7000'] });
    assert.deepEqual(planAddNode({ address: 'h3:7000', role: 'master', members, timeoutSeconds: 60 }).steps.find(isStepOf('tune_nodes'))!.params,
      { nodes: ['h3:7000'], settings: { 'cluster-node-timeout': '500' } }, 'a master syncs from no one');
    assert.deepEqual(wait(plan).nodes, ['h1:7000', 'h2:7000', 'h3:7000']);
    assert.deepEqual(wait(plan).expect, [{ address: 'h3:7000', role: 'replica', master: 'h1:7000' }]);
    assert.deepEqual(plan.replicas, [{ replica: { id: 'c'.repeat(40), address: 'h3:7000' }, master: members[0] }]);
    assert.match(plan.summary, /^add h3:7000 as a replica of h1:7000 \(the master with the fewest replicas/);
    assert.equal(planAddNode({ address: 'h3:7000', role: 'master', members, timeoutSeconds: 60 }).summary, 'add h3:7000 as a master without slots');
    assert.throws(() => planAddNode({ address: 'h3:7000', role: 'replica', members, timeoutSeconds: 60 }), /needs a master/);
  });

  test('removing a replica only forgets, resets and waits; removing a master drains with migration held', () => {
    const base = { masters: members, remaining: ['h1:7000'], reset: true, timeoutSeconds: 60 };
    assert.deepEqual(kinds(planRemoveNode({ ...base, node: { ...members[1]!, role: 'replica' }, drain: [], replicas: [] })), ['forget_node', 'wait_topology']);
    const drain = [{ from: members[1]!, to: members[0]!, slots: [[0, 99]] as [number, number][], slotCount: 100 }];
    const plan = planRemoveNode({ ...base, node: { ...members[1]!, role: 'master' }, drain, replicas: [{ replica: 'h3:7000', replicaId: 'c'.repeat(40), master: members[0]! }] });
    assert.deepEqual(kinds(plan), ['check_cluster', 'hold_replica_migration', 'move_slots', 'tune_nodes', 'replicate_nodes', 'forget_node', 'wait_topology', 'restore_config', 'record_slots', 'restore_replica_migration']);
    assert.deepEqual(plan.steps.find(isStepOf('hold_replica_migration'))!.params, { nodes: ['h2:7000', 'h3:7000'] });
    assert.deepEqual(plan.steps.find(isStepOf('tune_nodes'))!.params.settingsOf, { 'h1:7000': { 'repl-diskless-sync-delay': '0' } }, 'the new master syncs its replica at once');
    assert.deepEqual(plan.steps.find(isStepOf('move_slots'))!.params, { moves: drain, masters: members, replace: false });
    assert.deepEqual(wait(plan).absent, [members[1]]);
    assert.deepEqual(plan.moves, drain);
    assert.deepEqual(plan.replicas, [{ replica: { id: 'c'.repeat(40), address: 'h3:7000' }, master: members[0] }]);
    assert.equal(plan.summary, 'remove master h2:7000; moving its 100 slots to 1 other masters; its replicas follow h1:7000');
  });

  test('moving a replica and failing over tune only the nodes that follow someone new', () => {
    const move = planMoveReplica({ replica: members[1]!, master: members[0]!, current: { id: 'd'.repeat(40), address: 'h4:7000' }, nodes: ['h1:7000', 'h2:7000'], timeoutSeconds: 60 });
    assert.deepEqual(kinds(move), ['tune_nodes', 'replicate_nodes', 'wait_topology', 'restore_config']);
    assert.deepEqual(move.steps.find(isStepOf('tune_nodes'))!.params.settingsOf, { 'h1:7000': { 'repl-diskless-sync-delay': '0' } });
    assert.equal(move.summary, 'make h2:7000 a replica of h1:7000 instead of h4:7000');
    assert.match(planMoveReplica({ replica: members[1]!, master: members[0]!, current: members[0]!, nodes: [], timeoutSeconds: 60 }).summary, /already replicates/);
    const sibling = { id: 'c'.repeat(40), address: 'h3:7000' };
    const plan = planFailover({ replica: members[1]!, master: members[0]!, siblings: [sibling], mode: 'takeover', nodes: ['h1:7000', 'h2:7000', 'h3:7000'], ready: true, timeoutSeconds: 60 });
    assert.deepEqual(kinds(plan), ['tune_nodes', 'failover', 'wait_topology', 'restore_config']);
    assert.deepEqual(plan.steps.find(isStepOf('tune_nodes'))!.params, { nodes: ['h1:7000', 'h3:7000'], settings: { 'cluster-node-timeout': '500' } });
    assert.match(plan.steps[1]!.title, /CLUSTER FAILOVER TAKEOVER/);
    assert.deepEqual(plan.replicas, [{ replica: members[0], master: members[1] }]);
    // The old master is down: only the nodes that answer are asked, and readiness is not required.
    const forced = planFailover({ replica: members[1]!, master: members[0]!, siblings: [], mode: 'force', nodes: ['h2:7000'], ready: false, timeoutSeconds: 60 });
    assert.deepEqual(kinds(forced), ['failover', 'wait_topology']);
    assert.deepEqual(wait(forced).expect, [{ address: 'h2:7000', role: 'master' }]);
  });
});
