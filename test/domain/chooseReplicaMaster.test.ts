import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { assignReplicaMasters, chooseReplicaMaster, type ReplicaMasterCandidate } from '../../src/domain/chooseReplicaMaster.ts';

const host = fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3');
const candidatesArb: fc.Arbitrary<ReplicaMasterCandidate[]> = fc.uniqueArray(
  fc.record({
    id: fc.stringMatching(/^[0-9a-f]{4}$/),
    host,
    replicaHosts: fc.array(host, { maxLength: 4 }),
    servesSlots: fc.boolean(),
  }),
  { minLength: 1, maxLength: 8, selector: (c) => c.id },
);

describe('chooseReplicaMaster', () => {
  test('prefers another host over fewer replicas, then the fewest replicas', () => {
    const a = { id: 'a', host: '10.0.0.1', replicaHosts: [], servesSlots: true };
    const b = { id: 'b', host: '10.0.0.2', replicaHosts: ['10.0.0.3'], servesSlots: true };
    const c = { id: 'c', host: '10.0.0.3', replicaHosts: ['10.0.0.1', '10.0.0.2'], servesSlots: true };
    assert.equal(chooseReplicaMaster([a, b, c], '10.0.0.1'), 'b');
    assert.equal(chooseReplicaMaster([a, b, c], '10.0.0.9'), 'a');
    // Every master on the replica's own host: the fewest replicas still decides.
    assert.equal(chooseReplicaMaster([{ ...a, replicaHosts: ['x'] }, { ...b, host: '10.0.0.1', replicaHosts: [] }], '10.0.0.1'), 'b');
    assert.equal(chooseReplicaMaster([], '10.0.0.1'), null);
  });

  test('ties go to a master without a replica on the same host, then one serving slots, then the smallest id', () => {
    const base = { host: '10.0.0.1', servesSlots: true };
    assert.equal(chooseReplicaMaster([
      { ...base, id: 'a', replicaHosts: ['10.0.0.3'] },
      { ...base, id: 'b', replicaHosts: ['10.0.0.2'] },
    ], '10.0.0.3'), 'b');
    assert.equal(chooseReplicaMaster([
      { ...base, id: 'a', replicaHosts: [], servesSlots: false },
      { ...base, id: 'b', replicaHosts: [] },
    ], '10.0.0.3'), 'b');
    assert.equal(chooseReplicaMaster([{ ...base, id: 'b', replicaHosts: [] }, { ...base, id: 'a', replicaHosts: [] }], '10.0.0.3'), 'a');
  });

  test('property: the choice is on another host when any master is, and has the fewest replicas among those', () => {
    fc.assert(fc.property(candidatesArb, host, (candidates, replicaHost) => {
      const chosen = candidates.find((c) => c.id === chooseReplicaMaster(candidates, replicaHost));
      assert.ok(chosen);
      const elsewhere = candidates.filter((c) => c.host !== replicaHost);
      const pool = elsewhere.length > 0 ? elsewhere : candidates;
      assert.ok(pool.includes(chosen), 'anti-affinity');
      assert.equal(chosen.replicaHosts.length, Math.min(...pool.map((c) => c.replicaHosts.length)), 'fewest replicas');
      // The order of the candidates does not matter.
      assert.equal(chooseReplicaMaster([...candidates].reverse(), replicaHost), chosen.id);
    }));
  });

  test('property: placing several replicas spreads them, each choice seeing the ones before it', () => {
    fc.assert(fc.property(candidatesArb, fc.array(host, { minLength: 1, maxLength: 6 }), (candidates, hosts) => {
      const replicas = hosts.map((h, i) => ({ id: `r${i}`, host: h }));
      const placed = assignReplicaMasters(replicas, candidates);
      assert.deepEqual(placed.map((p) => p.replica), replicas.map((r) => r.id));
      const state = candidates.map((c) => ({ ...c, replicaHosts: [...c.replicaHosts] }));
      placed.forEach((p, i) => {
        assert.equal(p.master, chooseReplicaMaster(state, replicas[i]!.host));
        state.find((c) => c.id === p.master)!.replicaHosts.push(replicas[i]!.host);
      });
      assert.equal(candidates.reduce((n, c) => n + c.replicaHosts.length, 0) + replicas.length,
        state.reduce((n, c) => n + c.replicaHosts.length, 0));
    }));
  });
});
