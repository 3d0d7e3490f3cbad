import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planAddNode } from '../../src/domain/planAddNode.ts';
import { planFailover } from '../../src/domain/planFailover.ts';
import { planMoveReplica } from '../../src/domain/planMoveReplica.ts';
import { planRemoveNode } from '../../src/domain/planRemoveNode.ts';
import type { WaitTopologyParams } from '../../src/domain/topologySteps.ts';

const members = [{ id: 'a'.repeat(40), address: 'h1:7000' }, { id: 'b'.repeat(40), address: 'h2:7000' }];
const kinds = (steps: { kind: string }[]) => steps.map((s) => s.kind);
const wait = (steps: { kind: string; params: unknown }[]) => steps.find((s) => s.kind === 'wait_topology')!.params as WaitTopologyParams;

describe('topology plans', () => {
  test('adding a replica: check first, tune and restore the new node, replicate, wait on every node', () => {
    const steps = planAddNode({ address: 'h3:7000', role: 'replica', master: members[0]!, members, timeoutSeconds: 60 });
    assert.deepEqual(kinds(steps), ['check_new_node', 'tune_nodes', 'meet_new_node', 'wait_known', 'replicate_nodes', 'wait_topology', 'restore_config', 'release_new_node']);
    assert.deepEqual(steps.map((s) => s.id).slice(0, 2), ['1-check_new_node', '2-tune_nodes']);
    assert.deepEqual(wait(steps).nodes, ['h1:7000', 'h2:7000', 'h3:7000']);
    assert.deepEqual(wait(steps).expect, [{ address: 'h3:7000', role: 'replica', master: 'h1:7000' }]);
    assert.throws(() => planAddNode({ address: 'h3:7000', role: 'replica', members, timeoutSeconds: 60 }), /needs a master/);
  });

  test('removing a replica only forgets, resets and waits; removing a master drains with migration held', () => {
    const base = { masters: members, remaining: ['h1:7000'], reset: true, timeoutSeconds: 60 };
    assert.deepEqual(kinds(planRemoveNode({ ...base, node: { ...members[1]!, role: 'replica' }, drain: [], replicas: [] })), ['forget_node', 'wait_topology']);
    const drain = [{ from: members[1]!, to: members[0]!, slots: [[0, 99]] as [number, number][], slotCount: 100 }];
    const steps = planRemoveNode({ ...base, node: { ...members[1]!, role: 'master' }, drain, replicas: [{ replica: 'h3:7000', master: members[0]! }] });
    assert.deepEqual(kinds(steps), ['check_cluster', 'hold_replica_migration', 'move_slots', 'tune_nodes', 'replicate_nodes', 'forget_node', 'wait_topology', 'restore_config', 'record_slots', 'restore_replica_migration']);
    assert.deepEqual(steps[1]!.params, { nodes: ['h2:7000', 'h3:7000'] });
    assert.deepEqual(wait(steps).absent, [members[1]]);
  });

  test('moving a replica and failing over tune only the nodes that follow someone new', () => {
    assert.deepEqual(kinds(planMoveReplica({ replica: members[1]!, master: members[0]!, nodes: ['h1:7000', 'h2:7000'], timeoutSeconds: 60 })),
      ['tune_nodes', 'replicate_nodes', 'wait_topology', 'restore_config']);
    const sibling = { id: 'c'.repeat(40), address: 'h3:7000' };
    const steps = planFailover({ replica: members[1]!, master: members[0]!, siblings: [sibling], mode: 'takeover', nodes: ['h1:7000', 'h2:7000', 'h3:7000'], ready: true, timeoutSeconds: 60 });
    assert.deepEqual(kinds(steps), ['tune_nodes', 'failover', 'wait_topology', 'restore_config']);
    assert.deepEqual(steps[0]!.params, { nodes: ['h1:7000', 'h3:7000'], settings: { 'cluster-node-timeout': '500' } });
    assert.match(steps[1]!.title, /CLUSTER FAILOVER TAKEOVER/);
    // The old master is down: only the nodes that answer are asked, and readiness is not required.
    const forced = planFailover({ replica: members[1]!, master: members[0]!, siblings: [], mode: 'force', nodes: ['h2:7000'], ready: false, timeoutSeconds: 60 });
    assert.deepEqual(kinds(forced), ['failover', 'wait_topology']);
    assert.deepEqual(wait(forced).expect, [{ address: 'h2:7000', role: 'master' }]);
  });
});
