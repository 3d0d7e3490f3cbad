import { NO_HEALING } from '../../src/domain/healingPolicy.ts';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DomainError } from '../../src/domain/errors.ts';
import type { ObservedNode } from '../../src/domain/observedTopology.ts';
import { requireMasters, resolveForRemoval, resolveMember, type ClusterMembers, type Member } from '../../src/service/observeMembers.ts';
import type { ClusterRecord } from '../../src/store/records.ts';

const observed = (id: string, address: string, extra: Partial<ObservedNode> = {}): ObservedNode => ({
  id: id.repeat(40), address, busPort: 17000, hostname: null, role: 'master', masterId: null, flags: [], myself: false,
  linkState: 'connected', configEpoch: 1, slots: [], migrating: [], importing: [], ...extra,
});
const member = (n: ObservedNode, address: string, reachable = true): Member => ({
  id: n.id, address, host: '127.0.0.1', role: n.role, masterId: n.masterId, slots: n.slots, slotCount: 0, reachable, flags: n.flags,
});

// Created with host names: the spec says localhost, the nodes announce 127.0.0.1.
const a = observed('a', '127.0.0.1:7000', { hostname: 'redis-a.example' });
const b = observed('b', '127.0.0.1:7001');
const c = observed('c', '127.0.0.1:7002', { role: 'replica', masterId: 'a'.repeat(40), flags: ['fail'] });
const gone = observed('e', ':0', { flags: ['noaddr', 'fail'] });
const cm: ClusterMembers = {
  cluster: { id: 'c-1', name: 'c1', spec: { nodes: [], replicasPerShard: 0, shards: [] }, auth: null, phase: 'ready', healing: NO_HEALING, createdAt: new Date(0), updatedAt: new Date(0) } satisfies ClusterRecord,
  observation: { nodes: [a, b, c, gone], unreachable: [{ address: 'localhost:7002', reason: 'refused' }], reached: [], views: [], servers: new Map() },
  members: [member(a, 'localhost:7000'), member(b, 'localhost:7001'), member(c, 'localhost:7002', false)],
  pending: [],
  ghosts: [member(gone, ':0', false)],
};

describe('one node resolver for every call', () => {
  test('a node is found by id, by its address in the spec, and by the ip:port or hostname:port it announces', () => {
    for (const ref of ['a'.repeat(40), 'A'.repeat(40), 'localhost:7000', 'LOCALHOST:07000', '127.0.0.1:7000', 'redis-a.example:7000']) {
      const found = resolveMember(ref, cm);
      assert.ok(found.ok && found.member.id === 'a'.repeat(40), ref);
    }
    const down = resolveMember('localhost:7002', cm);
    assert.ok(down.ok && down.member.id === 'c'.repeat(40) && !down.member.reachable, 'a node that is down is still found by its spec address');
    assert.deepEqual(resolveMember('localhost:7009', cm), { ok: false, reason: 'no node localhost:7009 in this cluster' });
  });

  test('requireMasters keeps the order and names every reference that is not a master', () => {
    assert.deepEqual(requireMasters([{ pointer: '/to', ref: 'localhost:7001' }, { pointer: '/from/0', ref: '127.0.0.1:7000' }], cm).map((m) => m.id), ['b'.repeat(40), 'a'.repeat(40)]);
    assert.throws(() => requireMasters([{ pointer: '/to', ref: 'localhost:7002' }, { pointer: '/from/0', ref: 'nowhere:1' }], cm), (err: DomainError) => {
      assert.equal(err.code, 'invalid_node');
      assert.deepEqual(err.fields, [
        { pointer: '/to', reason: 'localhost:7002 is a replica of localhost:7000; only masters serve slots' },
        { pointer: '/from/0', reason: 'no node nowhere:1 in this cluster' },
      ]);
      return true;
    });
  });

  test('a node whose address the cluster lost is found for removal by its id only', () => {
    const found = resolveForRemoval('e'.repeat(40), cm);
    assert.ok(found.ok && found.ghost && found.member.id === 'e'.repeat(40));
    assert.equal(resolveMember('e'.repeat(40), cm).ok, false, 'it is not a member');
  });
});
