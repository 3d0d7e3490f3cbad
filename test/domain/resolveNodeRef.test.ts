import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ObservedNode } from '../../src/domain/observedTopology.ts';
import { resolveNodeRef } from '../../src/domain/resolveNodeRef.ts';
import { escapePointer } from '../../src/domain/jsonPointer.ts';
import { validateThreshold, validateWeights } from '../../src/domain/validateMoveRequests.ts';

const node = (id: string, address: string, extra: Partial<ObservedNode> = {}): ObservedNode => ({
  id: id.repeat(40),
  address,
  busPort: 17000,
  hostname: null,
  role: 'master',
  masterId: null,
  flags: [],
  myself: false,
  linkState: 'connected',
  configEpoch: 1,
  slots: [],
  migrating: [],
  importing: [],
  ...extra,
});

const nodes = [
  node('a', '127.0.0.1:7000', { hostname: 'Redis-A.example' }),
  node('b', '::1:7001'),
  node('c', '127.0.0.1:7002', { role: 'replica', masterId: 'a'.repeat(40) }),
  node('d', ':7003'),
];
const idOf = (ref: string): string => {
  const found = resolveNodeRef(ref, nodes);
  assert.ok(found.ok, found.ok ? '' : found.reason);
  return found.node.id;
};

describe('resolveNodeRef', () => {
  test('finds a node by id in any case, by ip:port, by hostname:port, and IPv6 in any spelling', () => {
    assert.equal(idOf('A'.repeat(40)), 'a'.repeat(40));
    assert.equal(idOf('127.0.0.1:7000'), 'a'.repeat(40));
    assert.equal(idOf('redis-a.example:7000'), 'a'.repeat(40));
    assert.equal(idOf('[0:0::1]:7001'), 'b'.repeat(40));
    assert.equal(idOf('d'.repeat(40)), 'd'.repeat(40));
  });

  test('says why a reference names no node', () => {
    assert.deepEqual(resolveNodeRef('127.0.0.1:7009', nodes), { ok: false, reason: 'no node 127.0.0.1:7009 in this cluster' });
    assert.deepEqual(resolveNodeRef('redis-a.example:7001', nodes), { ok: false, reason: 'no node redis-a.example:7001 in this cluster' });
    assert.deepEqual(resolveNodeRef('e'.repeat(40), nodes), { ok: false, reason: `no node ${'e'.repeat(40)} in this cluster` });
    assert.deepEqual(resolveNodeRef('abc', nodes), {
      ok: false,
      reason: '"abc" is neither a 40-character node id nor host:port (missing :port)',
    });
  });

  test('prefers the live node over a failed one at the same address, and refuses a real ambiguity', () => {
    const replaced = [node('e', '127.0.0.1:7000', { flags: ['fail'] }), ...nodes];
    const live = resolveNodeRef('127.0.0.1:7000', replaced);
    assert.ok(live.ok);
    assert.equal(live.node.id, 'a'.repeat(40));
    const twins = [node('e', '127.0.0.1:7000'), ...nodes];
    const found = resolveNodeRef('127.0.0.1:7000', twins);
    assert.ok(!found.ok);
    assert.match(found.reason, /matches several nodes .*; use the node id/);
  });
});

describe('move request validation', () => {
  test('weights must be finite and >= 0 (0 drains), thresholds 0-100', () => {
    assert.deepEqual(validateWeights({ 'h:1': 0, 'h:2': 2.5 }), []);
    assert.deepEqual(validateWeights({ 'h:1': -1, 'a/b~c': Number.NaN, x: '2' }), [
      { pointer: '/weights/h:1', reason: 'must be a finite number >= 0, got -1' },
      { pointer: '/weights/a~1b~0c', reason: 'must be a finite number >= 0, got NaN' },
      { pointer: '/weights/x', reason: 'must be a finite number >= 0, got "2"' },
    ]);
    assert.deepEqual(validateThreshold(0), []);
    assert.deepEqual(validateThreshold(100), []);
    assert.deepEqual(validateThreshold(100.1), [{ pointer: '/threshold', reason: 'must be a number between 0 and 100, got 100.1' }]);
    assert.equal(validateThreshold('2').length, 1);
    assert.equal(escapePointer('~/'), '~0~1');
  });
});
