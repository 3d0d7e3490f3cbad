import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { desiredNodesOf, withFailover, withNodeAdded, withNodeRemoved, withObservedRoles, withReplicaMoved, withServedSlots, type DesiredTopology } from '../../src/domain/desiredTopology.ts';
import { SLOT_COUNT } from '../../src/domain/slotRange.ts';
import { rangesToSlots } from '../../src/domain/slotSet.ts';
import { clusterArb } from './slotPlanChecks.ts';

const spec: DesiredTopology = {
  nodes: ['a:1', 'b:1', 'c:1', 'a:2', 'b:2', 'c:2'],
  replicasPerShard: 1,
  shards: [
    { index: 0, master: 'a:1', replicas: ['b:2'], slots: [[0, 5460]] },
    { index: 1, master: 'b:1', replicas: ['c:2'], slots: [[5461, 10922]] },
    { index: 2, master: 'c:1', replicas: ['a:2'], slots: [[10923, 16383]] },
  ],
};

describe('desired topology edits', () => {
  test('an added master gets a new shard without slots; an added replica joins its master\'s shard', () => {
    const withMaster = withNodeAdded(spec, { address: 'd:1', role: 'master' });
    assert.deepEqual(withMaster.nodes.at(-1), 'd:1');
    assert.deepEqual(withMaster.shards.at(-1), { index: 3, master: 'd:1', replicas: [], slots: [] });
    const withReplica = withNodeAdded(withMaster, { address: 'd:2', role: 'replica', master: 'a:1' });
    assert.deepEqual(withReplica.shards[0]!.replicas, ['b:2', 'd:2']);
    assert.deepEqual(desiredNodesOf(withReplica).find((n) => n.address === 'd:2'), { address: 'd:2', role: 'replica', shardIndex: 0 });
    assert.equal(withNodeAdded(withMaster, { address: 'd:1', role: 'master' }).shards.length, 4, 'adding twice changes nothing');
  });

  test('a removed master takes its shard along; its replicas follow the masters given', () => {
    const removed = withNodeRemoved(spec, 'b:1', [{ replica: 'c:2', master: 'c:1' }]);
    assert.ok(!removed.nodes.includes('b:1'));
    assert.deepEqual(removed.shards.map((s) => [s.master, s.replicas]), [['a:1', ['b:2']], ['c:1', ['a:2', 'c:2']]]);
    assert.deepEqual(withNodeRemoved(spec, 'a:2').shards[2]!.replicas, []);
    assert.deepEqual(withNodeRemoved(spec, 'z:9'), { ...spec, shards: spec.shards }, 'an unknown address changes nothing');
  });

  test('a moved replica changes shards; a failover swaps master and replica in place', () => {
    const moved = withReplicaMoved(spec, 'b:2', 'c:1');
    assert.deepEqual(moved.shards.map((s) => s.replicas), [[], ['c:2'], ['a:2', 'b:2']]);
    const failed = withFailover(spec, 'b:2', 'a:1');
    assert.deepEqual(failed.shards[0], { index: 0, master: 'b:2', replicas: ['a:1'], slots: [[0, 5460]] });
    assert.deepEqual(desiredNodesOf(failed).filter((n) => n.shardIndex === 0).map((n) => `${n.address} ${n.role}`), ['b:2 master', 'a:1 replica']);
  });

  test('served slots replace each shard\'s slots; a shard nobody reported on keeps its own', () => {
    const served = withServedSlots(spec, [
      { address: 'a:1', slots: [[0, 99], [200, 5460]] },
      { address: 'c:2', slots: [[100, 199], [5461, 10922]] }, // a replica that took over its shard
      { address: 'b:2', slots: [] }, // a replica serves nothing; its master a:1 reported
    ]);
    assert.deepEqual(served.shards.map((s) => s.slots), [[[0, 99], [200, 5460]], [[100, 199], [5461, 10922]], [[10923, 16383]]]);
    assert.deepEqual(served.shards.map((s) => [s.master, s.replicas]), spec.shards.map((s) => [s.master, s.replicas]), 'roles are untouched');
    assert.deepEqual(withServedSlots(spec, []), spec);
  });

  test('property: after any complete layout is served, every slot belongs to exactly one shard', () => {
    fc.assert(fc.property(clusterArb, (masters) => {
      const layout: DesiredTopology = {
        nodes: masters.map((m) => m.address),
        replicasPerShard: 0,
        shards: masters.map((m, index) => ({ index, master: m.address, replicas: [], slots: index === 0 ? [[0, SLOT_COUNT - 1]] : [] })),
      };
      const result = withServedSlots(layout, masters);
      const slots = result.shards.flatMap((s) => rangesToSlots(s.slots));
      assert.equal(slots.length, SLOT_COUNT);
      assert.equal(new Set(slots).size, SLOT_COUNT);
      result.shards.forEach((s, i) => assert.deepEqual(rangesToSlots(s.slots), rangesToSlots(masters[i]!.slots)));
    }));
  });
});

describe('roles as the nodes report them', () => {
  test('a master Redis turned into a replica after it gave its last slot away joins its new master\'s shard', () => {
    const drained = withServedSlots(spec, [{ address: 'a:1', slots: [[0, 10922]] }, { address: 'b:1', slots: [] }, { address: 'c:1', slots: [[10923, 16383]] }]);
    const after = withObservedRoles(drained, [
      { address: 'a:1', role: 'master', master: null },
      { address: 'b:1', role: 'replica', master: 'a:1' },
      { address: 'c:2', role: 'replica', master: 'a:1' },
      { address: 'c:1', role: 'master', master: null },
    ]);
    assert.deepEqual(after.shards.map((s) => [s.index, s.master, s.replicas]), [[0, 'a:1', ['b:2', 'b:1', 'c:2']], [2, 'c:1', ['a:2']]]);
    assert.deepEqual(desiredNodesOf(after).filter((n) => n.role === 'master').map((n) => n.address), ['a:1', 'c:1']);
  });

  test('a replica that took over becomes its shard\'s master, with the old master (down, not reporting) as its replica', () => {
    const after = withObservedRoles(spec, [{ address: 'b:2', role: 'master', master: null }, { address: 'b:1', role: 'master', master: null }]);
    assert.deepEqual(after.shards[0], { index: 0, master: 'b:2', replicas: ['a:1'], slots: [[0, 5460]] });
    assert.deepEqual(after.shards.slice(1), spec.shards.slice(1));
  });

  test('when the nodes report what the spec says, nothing changes', () => {
    const same = spec.shards.flatMap((s) => [{ address: s.master, role: 'master' as const, master: null }, ...s.replicas.map((r) => ({ address: r, role: 'replica' as const, master: s.master }))]);
    assert.deepEqual(withObservedRoles(spec, same), spec);
    assert.deepEqual(withObservedRoles(spec, []), spec);
  });
});
