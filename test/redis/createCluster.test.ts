import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import type { SlotRange } from '../../src/domain/slotRange.ts';
import { addSlotsRange } from '../../src/redis/addSlotsRange.ts';
import { meetAll } from '../../src/redis/meetAll.ts';
import { myNodeId } from '../../src/redis/myNodeId.ts';
import type { NodeAuth } from '../../src/redis/nodeAuth.ts';
import { requireNodeAddress } from '../../src/domain/nodeAddress.ts';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';
import { observeCluster } from '../../src/redis/observeCluster.ts';
import { checkReadiness, waitForReadiness } from '../../src/redis/readiness.ts';
import { replicate } from '../../src/redis/replicate.ts';
import { resolveHost } from '../../src/redis/resolveHost.ts';
import { setConfigEpoch } from '../../src/redis/setConfigEpoch.ts';
import type { Tunables } from '../../src/domain/stepParams.ts';
import { applyTunables, readTunables } from '../../src/redis/tunables.ts';
import { waitUntilKnows } from '../../src/redis/waitUntilKnows.ts';
import { startRedisNodes } from '../helpers/redisNodes.ts';

const run = promisify(execFile);
const FAST: Tunables = { 'repl-diskless-sync-delay': '0', 'cluster-node-timeout': '500' };
const SLOTS: SlotRange[] = [[0, 5460], [5461, 10922], [10923, 16383]];

/**
 * The create sequence built only from the primitives, as the worker runs it: tune, set epochs,
 * assign slots, meet, wait until replicas know their masters, replicate, wait for readiness,
 * restore the tunables. Returns each node's id and the step results of a second run.
 */
async function createWithPrimitives(clients: Map<string, Redis>, masters: string[], replicas: string[]) {
  const addresses = [...clients.keys()];
  const client = (a: string): Redis => clients.get(a) as Redis;
  const previous = new Map<string, Tunables>();
  try {
    for (const [a, result] of await Promise.all(addresses.map(async (a) => [a, await applyTunables(client(a), FAST)] as const))) {
      previous.set(a, result.previous);
    }
    await Promise.all(addresses.map((a, i) => setConfigEpoch(client(a), i + 1)));
    await Promise.all(masters.map((a, i) => addSlotsRange(client(a), [SLOTS[i] as SlotRange])));
    const ips = new Map(await Promise.all(addresses.map(async (a) => [a, await resolveHost(requireNodeAddress(a).host)] as const)));
    assert.ok((await meetAll(clients, ips)) > 0);
    const ids = new Map(await Promise.all(addresses.map(async (a) => [a, await myNodeId(client(a))] as const)));
    await Promise.all(
      replicas.map(async (a, i) => {
        const masterId = ids.get(masters[i] as string) as string;
        await waitUntilKnows(client(a), [masterId], { timeoutMs: 10_000 });
        await replicate(client(a), masterId);
      }),
    );
    const readiness = await waitForReadiness(clients, { timeoutMs: 15_000 });
    assert.deepEqual(readiness, { ready: true, problems: [] });

    // Every step again: nothing left to do.
    const again = await Promise.all([
      ...addresses.map((a, i) => setConfigEpoch(client(a), i + 1)),
      ...masters.map((a, i) => addSlotsRange(client(a), [SLOTS[i] as SlotRange])),
      ...replicas.map((a, i) => replicate(client(a), ids.get(masters[i] as string) as string)),
    ]);
    assert.deepEqual(again, again.map(() => false));
    assert.equal(await meetAll(clients, ips), 0);
    return ids;
  } finally {
    await Promise.all([...previous].map(([a, p]) => applyTunables(client(a), p)));
  }
}

async function clusterCheck(address: string, password?: string): Promise<string> {
  const args = ['--cluster', 'check', address, ...(password ? ['-a', password, '--no-auth-warning'] : [])];
  const { stdout } = await run('redis-cli', args); // rejects on a non-zero exit code
  return stdout;
}

async function buildAndVerify(auth?: NodeAuth): Promise<void> {
  const set = await startRedisNodes(6, auth?.password ? { password: auth.password } : {});
  const connections = new NodeConnections(auth);
  try {
    const addresses = set.nodes.map((n) => n.address);
    const clients = await connections.getAll(addresses);
    const before = await Promise.all(addresses.map((a) => readTunables(clients.get(a) as Redis)));
    const [masters, replicas] = [addresses.slice(0, 3), addresses.slice(3)];
    const ids = await createWithPrimitives(clients, masters, replicas);

    assert.deepEqual(await Promise.all(addresses.map((a) => readTunables(clients.get(a) as Redis))), before, 'tunables restored');
    const observed = await observeCluster(addresses, auth);
    assert.deepEqual(observed.unreachable, []);
    for (const [i, address] of masters.entries()) {
      const node = observed.nodes.find((n) => n.id === ids.get(address));
      assert.equal(node?.role, 'master');
      assert.deepEqual(node?.slots, [SLOTS[i]]);
      assert.equal(node?.configEpoch, i + 1, 'epochs set before meeting survive');
    }
    for (const [i, address] of replicas.entries()) {
      const node = observed.nodes.find((n) => n.id === ids.get(address));
      assert.equal(node?.role, 'replica');
      assert.equal(node?.masterId, ids.get(masters[i] as string));
    }

    const report = await clusterCheck(set.nodes[0]!.address, auth?.password);
    assert.match(report, /\[OK\] All 16384 slots covered/);
    assert.match(report, /\[OK\] 0 keys in 3 masters/);
    assert.equal(report.match(/^ {3}replicates [0-9a-f]{40}$/gm)?.length, 3);
    assert.match(report, /\[OK\] All nodes agree about slots configuration/);
    assert.doesNotMatch(report, /\[WARNING\]|\[ERR\]|in (importing|migrating) state/);
  } finally {
    await connections.closeAll();
    await set.stop();
  }
}

describe('building a cluster from the primitives', () => {
  test('3 masters + 3 replicas, verified by redis-cli --cluster check', async () => {
    await buildAndVerify();
  });

  test('the same with requirepass + masterauth on every node', async () => {
    await buildAndVerify({ password: 'cluster-secret' });
  });
});

describe('readiness and observation', () => {
  test('not ready: names each node and reason; ready once converged; a stopped node is named', async () => {
    const set = await startRedisNodes(4);
    const connections = new NodeConnections(undefined, { commandTimeoutMs: 500 });
    try {
      const addresses = set.nodes.map((n) => n.address);
      const clients = await connections.getAll(addresses);
      const fresh = await checkReadiness(clients);
      assert.equal(fresh.ready, false);
      for (const address of addresses) {
        const reasons = fresh.problems.filter((p) => p.address === address).map((p) => p.reason);
        assert.ok(reasons.includes('cluster_state:fail'), `${address}: ${reasons.join('; ')}`);
        assert.ok(reasons.includes('knows 1 nodes, expected 4'));
        assert.equal(reasons.filter((r) => r.startsWith('does not know')).length, 3);
      }

      // Two separate single-master clusters: each is fine alone, together they are not one cluster.
      const [a, b, c, d] = addresses as [string, string, string, string];
      const one = (x: string): Redis => clients.get(x) as Redis;
      await Promise.all([a, b].map((x) => applyTunables(one(x), FAST)));
      await Promise.all([a, b].map((x) => addSlotsRange(one(x), [[0, 16383]])));
      const alone = await Promise.all([
        waitForReadiness(new Map([[a, one(a)]]), { timeoutMs: 10_000 }),
        waitForReadiness(new Map([[b, one(b)]]), { timeoutMs: 10_000 }),
      ]);
      assert.deepEqual(alone.map((r) => r.ready), [true, true]);
      const apart = await checkReadiness(new Map([[a, one(a)], [b, one(b)]]));
      assert.equal(apart.ready, false);
      assert.ok(apart.problems.some((p) => /disagrees on the slot map for slots 0-16383/.test(p.reason)), JSON.stringify(apart.problems));

      // A fresh node reports ":port" as its own address; observeCluster fills in the host.
      const observedFresh = await observeCluster([c]);
      assert.equal(observedFresh.nodes[0]?.address, c);

      // c and d join a: readiness over all three.
      const abc = new Map([[a, one(a)], [c, one(c)], [d, one(d)]]);
      await Promise.all([c, d].map((x) => applyTunables(one(x), FAST)));
      await meetAll(abc, new Map([[a, '127.0.0.1'], [c, '127.0.0.1'], [d, '127.0.0.1']]));
      const agreed = await waitForReadiness(abc, { timeoutMs: 15_000, look: true });
      assert.equal(agreed.ready, true);
      // The round that saw them agree is the same observation as a look with stats made right after.
      const looked = await observeCluster([a, c, d], undefined, { stats: true });
      const shape = (o: typeof looked) => ({
        nodes: o.nodes.map((n) => [n.id, n.address, n.role, n.myself, n.slots]).sort(),
        reached: o.reached, unreachable: o.unreachable,
        stats: [...o.stats].map(([address, st]) => [address, st.clusterState, st.flavour, st.version, st.keys, st.masterLinkStatus]),
      });
      assert.ok(agreed.look);
      assert.deepEqual(shape(agreed.look), shape(looked));

      // A node that stops answering is named, with the last problems, when the wait times out.
      const pid = Number(/process_id:(\d+)/.exec(await one(d).info('server'))?.[1]);
      process.kill(pid, 'SIGSTOP');
      try {
        const stuck = await waitForReadiness(abc, { timeoutMs: 300, intervalMs: 20 });
        assert.equal(stuck.ready, false);
        assert.ok(stuck.problems.some((p) => p.address === d && p.reason.startsWith('unreachable')), JSON.stringify(stuck.problems));
      } finally {
        process.kill(pid, 'SIGCONT');
      }

      // Observing through one node includes the nodes only it knows; a dead address is reported.
      const viaA = await observeCluster([a]);
      assert.equal(viaA.nodes.length, 3);
      assert.deepEqual(viaA.nodes.filter((n) => n.myself).map((n) => n.address), [a]);
      await one(b).call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
      const withDead = await observeCluster([a, b], undefined, { connectTimeoutMs: 500 });
      assert.equal(withDead.nodes.length, 3);
      assert.deepEqual(withDead.unreachable.map((u) => u.address), [b]);
      assert.match(withDead.unreachable[0]?.reason ?? '', /ECONNREFUSED/);
    } finally {
      await connections.closeAll();
      await set.stop();
    }
  });
});
