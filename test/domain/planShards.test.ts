import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseNodeAddress } from '../../src/domain/nodeAddress.ts';
import type { ShardPlan } from '../../src/domain/operation.ts';
import { planShards } from '../../src/domain/planShards.ts';
import { SLOT_COUNT } from '../../src/domain/slotRange.ts';

const HOST_NAMES = [
  '10.0.0.1', '10.0.0.2', '10.0.0.3', 'redis-a.example', 'redis-b.example', 'redis-c', '[2001:db8::1]', '[2001:db8::2]',
  '192.168.7.4', 'node-9.internal', '[fd00::a]', 'cache-11',
];

/** Normalised addresses for a layout: `hosts[i]` is the host index of node i; ports count up per host. */
function addressesOf(hosts: readonly number[]): string[] {
  const next = new Map<number, number>();
  return hosts.map((h) => {
    const port = next.get(h) ?? 7000;
    next.set(h, port + 1);
    return `${HOST_NAMES[h]}:${port}`;
  });
}

const hostOf = (address: string): string => {
  const parsed = parseNodeAddress(address);
  assert.ok(parsed.ok);
  return parsed.host;
};

/** Replicas on their master's host, and pairs of replicas of one shard that share a host. */
function score(shards: readonly { master: string; replicas: readonly string[] }[]): [number, number] {
  let sameHost = 0;
  let sharedPairs = 0;
  for (const { master, replicas } of shards) {
    const hosts = replicas.map(hostOf);
    sameHost += hosts.filter((h) => h === hostOf(master)).length;
    hosts.forEach((h, i) => (sharedPairs += hosts.slice(i + 1).filter((g) => g === h).length));
  }
  return [sameHost, sharedPairs];
}

const better = (a: [number, number], b: [number, number]): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/** Best score over every way of giving the non-master nodes to these masters, by exhaustive search. */
function bruteForceBest(masters: readonly string[], spare: readonly string[], replicasPerShard: number): [number, number] {
  const shards = masters.map((master) => ({ master, replicas: [] as string[] }));
  let best: [number, number] = [Infinity, Infinity];
  const place = (i: number): void => {
    if (i === spare.length) {
      const s = score(shards);
      if (better(s, best)) best = s;
      return;
    }
    for (const shard of shards) {
      if (shard.replicas.length === replicasPerShard) continue;
      shard.replicas.push(spare[i]!);
      place(i + 1);
      shard.replicas.pop();
    }
  };
  place(0);
  return best;
}

const layoutOf = (shape: fc.Arbitrary<{ masters: number; replicas: number }>, hostCount: number) =>
  shape.chain(({ masters, replicas }) => {
    const nodes = masters * (1 + replicas);
    return fc.array(fc.integer({ min: 0, max: hostCount - 1 }), { minLength: nodes, maxLength: nodes })
      .map((hosts) => ({ addresses: addressesOf(hosts), replicas }));
  });

/** Layouts of any size up to 40 masters with up to 3 replicas each, on up to 12 hosts. */
const layouts = layoutOf(fc.record({ masters: fc.integer({ min: 1, max: 40 }), replicas: fc.integer({ min: 0, max: 3 }) }), 12);

/** Layouts of at most 8 nodes, on up to 4 hosts so that hosts collide, small enough to search exhaustively. */
const smallShapes = [[2, 1], [2, 2], [2, 3], [3, 1], [4, 1], [1, 3], [3, 0]].map(([masters = 0, replicas = 0]) => ({ masters, replicas }));
const smallLayouts = layoutOf(fc.constantFrom(...smallShapes), 4);

function mastersPerHost(addresses: readonly string[], shards: readonly ShardPlan[]): Map<string, { nodes: number; masters: number }> {
  const perHost = new Map<string, { nodes: number; masters: number }>();
  for (const a of addresses) {
    const entry = perHost.get(hostOf(a)) ?? { nodes: 0, masters: 0 };
    entry.nodes += 1;
    perHost.set(hostOf(a), entry);
  }
  for (const s of shards) perHost.get(hostOf(s.master))!.masters += 1;
  return perHost;
}

describe('planShards examples', () => {
  test('three hosts with two nodes each: one master per host, no replica beside its master', () => {
    const shards = planShards(['a:1', 'a:2', 'b:1', 'b:2', 'c:1', 'c:2'], 1);
    assert.deepEqual(shards.map((s) => [s.master, s.replicas]), [['a:1', ['c:2']], ['b:1', ['a:2']], ['c:1', ['b:2']]]);
    assert.deepEqual(shards.map((s) => s.slots), [[[0, 5460]], [[5461, 10922]], [[10923, 16383]]]);
  });

  test('one host: the first nodes are masters, in order, like redis-cli', () => {
    const shards = planShards(Array.from({ length: 6 }, (_, i) => `127.0.0.1:${7000 + i}`), 1);
    assert.deepEqual(shards.map((s) => s.master), ['127.0.0.1:7000', '127.0.0.1:7001', '127.0.0.1:7002']);
  });

  test('the extra masters of a partial round go to the smaller hosts', () => {
    // a:5, b:4, 3 masters with 2 replicas. Masters a, a, b would leave 4 replicas for the two
    // a-shards but only 3 nodes off host a; masters b, b, a place every replica off its master's host.
    const nodes = ['a:1', 'a:2', 'a:3', 'a:4', 'a:5', 'b:1', 'b:2', 'b:3', 'b:4'];
    const shards = planShards(nodes, 2);
    assert.deepEqual(shards.map((s) => s.master), ['b:1', 'a:1', 'b:2']);
    assert.deepEqual(score(shards), [0, 3]);
  });

  test('refuses input that validation would refuse', () => {
    assert.throws(() => planShards(['a:1', 'a:2', 'a:3', 'a:4'], 1.5), RangeError);
    assert.throws(() => planShards(['a:1', 'a:2', 'a:3'], 1), RangeError);
    assert.throws(() => planShards(['a:1', 'a:1'], 1), RangeError);
    assert.throws(() => planShards(['A:1', 'a:2'], 1), RangeError);
    assert.throws(() => planShards([], 0), RangeError);
  });
});

describe('planShards properties', () => {
  test('uses every node once, gives every shard its replicas and every slot to exactly one shard', () => {
    fc.assert(fc.property(layouts, ({ addresses, replicas }) => {
      const shards = planShards(addresses, replicas);
      assert.equal(shards.length, addresses.length / (1 + replicas));
      const used = shards.flatMap((s) => [s.master, ...s.replicas]);
      assert.deepEqual([...used].sort(), [...addresses].sort());
      const masters = new Set(shards.map((s) => s.master));
      assert.ok(shards.every((s, i) => s.index === i && s.replicas.length === replicas && s.replicas.every((r) => !masters.has(r))));
      const owner = new Array<number>(SLOT_COUNT).fill(0);
      for (const s of shards) for (const [start, end] of s.slots) for (let slot = start; slot <= end; slot++) owner[slot]! += 1;
      assert.ok(owner.every((n) => n === 1));
    }), { numRuns: 200 });
  });

  test('spreads masters round-robin: no host has two masters more than a host that still has a spare node', () => {
    fc.assert(fc.property(layouts, ({ addresses, replicas }) => {
      const hosts = [...mastersPerHost(addresses, planShards(addresses, replicas)).values()];
      for (const a of hosts) for (const b of hosts) if (b.nodes > b.masters) assert.ok(a.masters <= b.masters + 1);
    }), { numRuns: 200 });
  });

  test('places replicas optimally for its masters: fewest beside their master, then fewest sharing a host', () => {
    fc.assert(fc.property(smallLayouts, ({ addresses, replicas }) => {
      const shards = planShards(addresses, replicas);
      const masters = shards.map((s) => s.master);
      const spare = addresses.filter((a) => !masters.includes(a));
      assert.deepEqual(score(shards), bruteForceBest(masters, spare, replicas));
    }), { numRuns: 500 });
  });

  test('no other round-robin choice of master hosts leaves fewer replicas beside their master', () => {
    fc.assert(fc.property(smallLayouts, ({ addresses, replicas }) => {
      const masterCount = addresses.length / (1 + replicas);
      const byHost = new Map<string, string[]>();
      for (const a of addresses) byHost.set(hostOf(a), [...(byHost.get(hostOf(a)) ?? []), a]);
      const groups = [...byHost.values()];
      let bestSameHost = Infinity;
      // Every subset of nodes that is a valid round-robin master set, one node per host per round.
      const choose = (h: number, chosen: string[]): void => {
        if (h === groups.length) {
          if (chosen.length !== masterCount) return;
          const picked = groups.map((g) => g.filter((a) => chosen.includes(a)).length);
          if (groups.some((g, i) => picked.some((p) => p > picked[i]! + 1 && g.length > picked[i]!))) return;
          bestSameHost = Math.min(bestSameHost, bruteForceBest(chosen, addresses.filter((a) => !chosen.includes(a)), replicas)[0]);
          return;
        }
        for (let k = 0; k <= groups[h]!.length; k++) choose(h + 1, [...chosen, ...groups[h]!.slice(0, k)]);
      };
      choose(0, []);
      assert.equal(score(planShards(addresses, replicas))[0], bestSameHost);
    }), { numRuns: 200 });
  });

  test('is deterministic', () => {
    fc.assert(fc.property(layouts, ({ addresses, replicas }) => {
      assert.deepEqual(planShards([...addresses], replicas), planShards([...addresses], replicas));
    }), { numRuns: 100 });
  });
});
