import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClusterHealth, NodeHealth } from '../../src/domain/clusterHealth.ts';
import type { ClusterSnapshot, SnapshotNode } from '../../src/domain/clusterSnapshot.ts';
import { decideHealing } from '../../src/domain/decideHealing.ts';
import { NO_HEALING, type HealingPolicy } from '../../src/domain/healingPolicy.ts';

const NOW = new Date('2026-11-30T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

function node(id: string, address: string, over: Partial<SnapshotNode> = {}): SnapshotNode {
  return {
    id, address, announced: address, hostname: null, role: 'master', masterId: null, slots: [], migrating: [], importing: [], configEpoch: 1,
    reachable: true, pfailBy: [], failBy: [], flags: [], linkDownFrom: [], stats: null, ...over,
  };
}
const replica = (id: string, address: string, masterId: string, over: Partial<SnapshotNode> = {}) => node(id, address, { role: 'replica', masterId, ...over });
const dead = { reachable: false, failBy: ['x:1', 'y:1'] } as const;

function judge(nodes: SnapshotNode[], failedFor: Record<string, number> = {}): { snapshot: ClusterSnapshot; health: ClusterHealth } {
  const snapshot = { observedAt: NOW.toISOString(), nodes, unreachable: [], check: {} as ClusterSnapshot['check'] };
  const health = {
    conditions: [], problems: [],
    nodes: nodes.map((n): NodeHealth => ({
      id: n.id, address: n.address, role: n.role, reachable: n.reachable, pfail: false, failed: n.failBy.length > 0, loading: false,
      replicaLink: null, lagBytes: null, lagSeconds: null, lagging: false, failingSince: null,
      failedSince: failedFor[n.id] === undefined ? null : ago(failedFor[n.id]!),
    })),
  };
  return { snapshot, health };
}
const decide = (policy: Partial<HealingPolicy>, nodes: SnapshotNode[], failedFor: Record<string, number> = {}) => {
  const { snapshot, health } = judge(nodes, failedFor);
  return decideHealing({ ...NO_HEALING, ...policy }, snapshot, health, NOW);
};

describe('decideHealing', () => {
  const stuck = [
    node('m1', '10.0.0.1:7000', { slots: [[0, 8191]], ...dead }),
    replica('r1', '10.0.0.2:7000', 'm1', { stats: { replOffset: 100 } as SnapshotNode['stats'] }),
    replica('r2', '10.0.0.3:7000', 'm1', { stats: { replOffset: 250 } as SnapshotNode['stats'] }),
    node('m2', '10.0.0.4:7000', { slots: [[8192, 16383]] }),
    replica('r3', '10.0.0.5:7000', 'm2'),
  ];

  test('nothing at all while healing is off, whatever the cluster looks like', () => {
    assert.equal(decide({}, stuck, { m1: 3600 }), null);
  });

  test('a FAIL master with slots is failed over to its most up-to-date replica once afterSeconds passed, with FORCE unless takeover', () => {
    assert.equal(decide({ failover: { afterSeconds: 30, takeover: false } }, stuck, { m1: 29 }), null, 'not before afterSeconds');
    const action = decide({ failover: { afterSeconds: 30, takeover: false } }, stuck, { m1: 31 });
    assert.deepEqual({ ...action, reason: undefined }, { kind: 'failover', replica: '10.0.0.3:7000', master: '10.0.0.1:7000', mode: 'force', reason: undefined });
    assert.equal((decide({ failover: { afterSeconds: 30, takeover: true } }, stuck, { m1: 31 }) as { mode: string }).mode, 'takeover');
    const noHeir = stuck.map((n) => (n.masterId === 'm1' ? { ...n, ...dead } : n));
    assert.equal(decide({ failover: { afterSeconds: 30, takeover: false } }, noHeir, { m1: 31 }), null, 'no replica that works: nothing to fail over to');
  });

  test('a dead node is forgotten after forgetAfterSeconds, but never one that still serves slots', () => {
    assert.equal(decide({ forgetAfterSeconds: 60 }, stuck, { m1: 3600 }), null, 'm1 still serves slots: a failover comes first');
    const failedOver = [node('m1', '10.0.0.1:7000', dead), node('r2', '10.0.0.3:7000', { slots: [[0, 8191]] }), ...stuck.slice(3)];
    assert.equal(decide({ forgetAfterSeconds: 60 }, failedOver, { m1: 59 }), null);
    assert.deepEqual((decide({ forgetAfterSeconds: 60 }, failedOver, { m1: 61 }) as { node: string }).node, 'm1');
  });

  test('a master whose replicas are all FAIL gets one from the master with most, not from its own host', () => {
    const nodes = [
      node('a', '10.0.0.1:7000', { slots: [[0, 5000]] }),
      replica('a1', '10.0.0.2:7000', 'a'),
      replica('a2', '10.0.0.9:7001', 'a'),
      node('b', '10.0.0.9:7000', { slots: [[5001, 16383]] }),
      replica('b1', '10.0.0.3:7000', 'b', dead),
    ];
    const action = decide({ replicaMigration: true }, nodes, { b1: 1 });
    assert.equal(action?.kind, 'replica_migration');
    assert.deepEqual([(action as { replica: string }).replica, (action as { master: string }).master], ['10.0.0.2:7000', '10.0.0.9:7000'], 'a2 lives on b\'s host');
    const suspectedOnly = nodes.map((n) => (n.id === 'b1' ? { ...n, reachable: false, failBy: [] } : n));
    assert.equal(decide({ replicaMigration: true }, suspectedOnly), null, 'not before the cluster agrees the replica is dead');
    const poorDonors = nodes.filter((n) => n.id !== 'a2');
    assert.equal(decide({ replicaMigration: true }, poorDonors, { b1: 1 }), null, 'no master has a replica to spare');
  });

  test('a stuck failover comes before forgetting, which comes before moving a replica', () => {
    const all = { failover: { afterSeconds: 1, takeover: false }, forgetAfterSeconds: 10, replicaMigration: true };
    const nodes = [...stuck, replica('gone', '10.0.0.8:7000', 'm2', dead)];
    assert.equal(decide(all, nodes, { m1: 5, gone: 100 })?.kind, 'failover');
    assert.equal(decide(all, nodes.filter((n) => n.id !== 'm1' && n.masterId !== 'm1'), { gone: 100 })?.kind, 'forget');
  });
});
