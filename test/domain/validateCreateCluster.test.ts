import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseNodeAddress } from '../../src/domain/nodeAddress.ts';
import { validateClusterName, validateClusterTopology } from '../../src/domain/validateCreateCluster.ts';

const nodesOf = (count: number, host = '10.0.0.1'): string[] => Array.from({ length: count }, (_, i) => `${host}:${7000 + i}`);

describe('validateClusterTopology examples', () => {
  test('accepts six nodes with one replica each and returns normalised addresses in order', () => {
    const nodes = ['Redis-A:07000', 'redis-b:7000', '[::1]:7000', '10.0.0.1:7000', '10.0.0.2:7000', '10.0.0.3:7000'];
    assert.deepEqual(validateClusterTopology({ nodes, replicasPerShard: 1 }), {
      ok: true,
      addresses: ['redis-a:7000', 'redis-b:7000', '[::1]:7000', '10.0.0.1:7000', '10.0.0.2:7000', '10.0.0.3:7000'],
    });
  });

  test('points at each bad address with its reason, and at duplicates with the first spelling', () => {
    const nodes = ['redis-a:7000', 'redis-a', 'REDIS-A:07000', '[0::1]:7000', '[::1]:7000', 'redis-b:70000'];
    assert.deepEqual(validateClusterTopology({ nodes, replicasPerShard: 1 }), {
      ok: false,
      errors: [
        { pointer: '/nodes/1', reason: 'missing :port' },
        { pointer: '/nodes/2', reason: 'duplicate of /nodes/0' },
        { pointer: '/nodes/4', reason: 'duplicate of /nodes/3' },
        { pointer: '/nodes/5', reason: 'port must be a number between 1 and 55535 (the cluster bus listens on port + 10000, at most 65535)' },
      ],
    });
  });

  test('says which node counts would divide into shards', () => {
    const result = validateClusterTopology({ nodes: nodesOf(10), replicasPerShard: 2 });
    assert.deepEqual(result, {
      ok: false,
      errors: [{ pointer: '/nodes', reason: '10 nodes do not divide into shards of 3 (1 master + 2 replicas): use 9 or 12 nodes' }],
    });
  });

  test('says how many masters the request gives when there are fewer than 3', () => {
    const result = validateClusterTopology({ nodes: nodesOf(4), replicasPerShard: 1 });
    assert.deepEqual(result, {
      ok: false,
      errors: [{ pointer: '/nodes', reason: 'this gives 2 masters (4 nodes in shards of 2); a cluster needs at least 3 masters, so at least 6 nodes' }],
    });
    assert.equal(validateClusterTopology({ nodes: [], replicasPerShard: 0 }).ok, false);
  });

  test('refuses replica counts that are not whole and non-negative', () => {
    for (const replicasPerShard of [-1, 0.5, Number.NaN, Infinity]) {
      assert.deepEqual(validateClusterTopology({ nodes: nodesOf(6), replicasPerShard }), {
        ok: false,
        errors: [{ pointer: '/replicasPerShard', reason: 'must be an integer >= 0' }],
      });
    }
  });
});

describe('validateClusterTopology model', () => {
  // Distinct nodes (some spelled oddly), other spellings of the same nodes, and addresses that never parse.
  const distinct = [
    'REDIS-A:07000', 'redis-a:7001', '10.0.0.1:7000', '10.0.0.1:7001', '10.0.0.2:7000', '[0:0::1]:7000', '[::2]:7000',
    'redis-b.example:7000', 'redis-c:7000', 'redis-d:7000', 'redis-e:7000', 'redis-f:7000', 'redis-g:7000', 'redis-h:7000',
  ];
  const spellings = fc.constantFrom(...distinct, 'redis-a:7000', '[::1]:7000', 'redis-a', 'redis_a:7000', '10.0.0.1:0', '[::1]', '');
  const nodeLists = fc.oneof(fc.shuffledSubarray(distinct), fc.array(spellings, { maxLength: 16 }));
  const replicaCounts = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom(-1, 0.5, Number.NaN));

  test('accepts exactly the valid requests and points at exactly the bad fields', () => {
    fc.assert(fc.property(nodeLists, replicaCounts, (nodes, replicasPerShard) => {
      const expected = new Set<string>();
      const seen = new Set<string>();
      nodes.forEach((text, i) => {
        const parsed = parseNodeAddress(text);
        if (!parsed.ok || seen.has(parsed.address)) expected.add(`/nodes/${i}`);
        if (parsed.ok) seen.add(parsed.address);
      });
      if (!Number.isInteger(replicasPerShard) || replicasPerShard < 0) expected.add('/replicasPerShard');
      else if (nodes.length % (1 + replicasPerShard) !== 0 || nodes.length / (1 + replicasPerShard) < 3) expected.add('/nodes');

      const result = validateClusterTopology({ nodes, replicasPerShard });
      if (result.ok) {
        assert.equal(expected.size, 0);
        assert.deepEqual(result.addresses, nodes.map((text) => (parseNodeAddress(text) as { address: string }).address));
      } else {
        assert.deepEqual(new Set(result.errors.map((e) => e.pointer)), expected);
        assert.equal(result.errors.length, expected.size);
        assert.ok(result.errors.every((e) => e.reason.length > 0));
      }
    }), { numRuns: 1000 });
  });
});

describe('validateClusterName', () => {
  test('accepts DNS-label names', () => {
    for (const name of ['a', 'orders', 'orders-eu-1', 'a1', `a${'b'.repeat(62)}`]) assert.equal(validateClusterName(name), null, name);
  });

  test('refuses other names with a reason', () => {
    const refused: [string, RegExp][] = [
      ['', /1 to 63/], [`a${'b'.repeat(63)}`, /1 to 63/], ['Orders', /start with a lowercase letter/],
      ['1orders', /start with a lowercase letter/], ['-orders', /start with a lowercase letter/],
      ['orders_eu', /only contain/], ['orders.eu', /only contain/], ['orders/eu', /only contain/], ['ordErs', /only contain/],
      ['orders-', /end with '-'/],
    ];
    for (const [name, reason] of refused) assert.match(validateClusterName(name) ?? '', reason, name);
  });

  test('accepts exactly the names that are DNS labels starting with a letter', () => {
    const names = fc.string({ unit: fc.constantFrom(...'abz09-A_.'), maxLength: 70 });
    fc.assert(fc.property(names, (name) => {
      const valid = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name);
      assert.equal(validateClusterName(name) === null, valid, name);
    }), { numRuns: 2000 });
  });
});
