import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { placeReplicas } from '../../src/domain/placeReplicas.ts';

type Score = [sameHost: number, sharedPairs: number];

function scoreOf(counts: readonly (readonly number[])[], masterHostByShard: readonly number[]): Score {
  let sameHost = 0;
  let sharedPairs = 0;
  counts.forEach((row, h) => row.forEach((k, s) => {
    if (masterHostByShard[s] === h) sameHost += k;
    sharedPairs += (k * (k - 1)) / 2;
  }));
  return [sameHost, sharedPairs];
}

/** Exact optimum by dynamic programming over (shard, spare nodes left per host), shard by shard. */
function bestScore(spare: readonly number[], masterHostByShard: readonly number[], replicas: number): Score {
  const memo = new Map<string, Score>();
  const solve = (s: number, left: number[]): Score => {
    if (s === masterHostByShard.length) return [0, 0];
    const key = `${s}|${left.join(',')}`;
    const known = memo.get(key);
    if (known) return known;
    let best: Score = [Infinity, Infinity];
    const take = (h: number, need: number, own: Score): void => {
      if (h === left.length) {
        if (need > 0) return;
        const rest = solve(s + 1, left);
        const total: Score = [own[0] + rest[0], own[1] + rest[1]];
        if (total[0] < best[0] || (total[0] === best[0] && total[1] < best[1])) best = total;
        return;
      }
      for (let k = 0; k <= Math.min(need, left[h]!); k++) {
        left[h]! -= k;
        take(h + 1, need - k, [own[0] + (masterHostByShard[s] === h ? k : 0), own[1] + (k * (k - 1)) / 2]);
        left[h]! += k;
      }
    };
    take(0, replicas, [0, 0]);
    memo.set(key, best);
    return best;
  };
  return solve(0, [...spare]);
}

const problems = fc
  .record({ hosts: fc.integer({ min: 1, max: 4 }), shards: fc.integer({ min: 1, max: 8 }), replicas: fc.integer({ min: 0, max: 3 }) })
  .chain(({ hosts, shards, replicas }) => fc.record({
    masterHostByShard: fc.array(fc.integer({ min: 0, max: hosts - 1 }), { minLength: shards, maxLength: shards }),
    spareHosts: fc.array(fc.integer({ min: 0, max: hosts - 1 }), { minLength: shards * replicas, maxLength: shards * replicas }),
    hosts: fc.constant(hosts),
    replicas: fc.constant(replicas),
  }))
  .map(({ masterHostByShard, spareHosts, hosts, replicas }) => ({
    spare: Array.from({ length: hosts }, (_, h) => spareHosts.filter((x) => x === h).length),
    masterHostByShard,
    replicas,
  }));

test('placeReplicas uses every spare node, fills every shard and reaches the exact optimum', () => {
  fc.assert(fc.property(problems, ({ spare, masterHostByShard, replicas }) => {
    const counts = placeReplicas(spare, masterHostByShard, replicas);
    assert.deepEqual(counts.map((row) => row.reduce((a, b) => a + b, 0)), spare);
    assert.ok(masterHostByShard.every((_, s) => counts.reduce((sum, row) => sum + row[s]!, 0) === replicas));
    assert.deepEqual(scoreOf(counts, masterHostByShard), bestScore(spare, masterHostByShard, replicas));
  }), { numRuns: 500 });
});

test('placeReplicas refuses spare nodes that do not match the replicas needed', () => {
  assert.throws(() => placeReplicas([1, 1], [0, 1, 2], 1), RangeError);
});
