import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assessHealth } from '../../src/domain/assessHealth.ts';
import { checkCluster } from '../../src/domain/checkCluster.ts';
import type { ObservedNode } from '../../src/domain/observedTopology.ts';

const node = (id: string, over: Partial<ObservedNode> = {}): ObservedNode => ({
  id: id.repeat(40).slice(0, 40), address: `10.0.0.${id.charCodeAt(0) % 200}:7000`, busPort: 17000, hostname: null,
  role: 'master', masterId: null, flags: [], myself: false, linkState: 'connected', configEpoch: 1,
  slots: [], migrating: [], importing: [], ...over,
});

const healthy = (): ObservedNode[] => {
  const a = node('a', { slots: [[0, 5460]] });
  const b = node('b', { slots: [[5461, 10922]] });
  const c = node('c', { slots: [[10923, 16383]] });
  return [a, b, c, node('d', { role: 'replica', masterId: a.id }), node('e', { role: 'replica', masterId: b.id }), node('f', { role: 'replica', masterId: c.id })];
};

/** Health as the service judges it: each node reports the same list, with itself as `myself`. */
function healthOf(nodes: ObservedNode[], unreachable: { address: string; reason: string }[], expected: { nodeCount: number; replicasPerShard: number }): string[] {
  const views = nodes.map((n) => ({ address: n.address, nodes: nodes.map((m) => ({ ...m, myself: m.id === n.id })) }));
  return assessHealth(checkCluster(nodes, views, unreachable), nodes, expected);
}

test('a healthy 3x1 cluster has no problems', () => {
  assert.deepEqual(healthOf(healthy(), [], { nodeCount: 6, replicasPerShard: 1 }), []);
});

test('each kind of trouble is named', () => {
  const nodes = healthy();
  nodes[0] = { ...nodes[0]!, flags: ['fail'] };
  nodes[1] = { ...nodes[1]!, migrating: [{ slot: 6000, nodeId: nodes[2]!.id }] };
  nodes[2] = { ...nodes[2]!, slots: [[10923, 16000]] };
  nodes.pop();
  const problems = healthOf(nodes, [{ address: '10.0.0.9:7000', reason: 'connection refused' }], { nodeCount: 7, replicasPerShard: 1 });
  assert.ok(problems.some((p) => /flagged fail/.test(p)));
  assert.ok(problems.some((p) => /slot 6000 is migrating/.test(p)));
  assert.ok(problems.some((p) => /383 slots are not served/.test(p)));
  assert.ok(problems.some((p) => /unreachable/.test(p)));
  assert.ok(problems.some((p) => /has 0 of 1 replicas/.test(p)));
});
