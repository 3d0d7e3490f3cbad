import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { connectNode } from '../../src/redis/connectNode.ts';
import { probeNode } from '../../src/redis/probeNode.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';

/** What a probe could change: keys, known nodes, slots, config epoch. */
async function snapshot(client: Redis): Promise<string> {
  const [nodes, keys] = await Promise.all([client.call('CLUSTER', 'NODES').catch(() => 'no cluster'), client.dbsize()]);
  return `${String(nodes).replace(/ \d{13} /g, ' <t> ')}|${keys}`;
}

describe('probeNode', () => {
  let cluster: RedisNodeSet;
  let plain: RedisNodeSet;
  let secured: RedisNodeSet;
  const clients: Redis[] = [];
  before(async () => {
    [cluster, plain, secured] = await Promise.all([
      startRedisNodes(4, { extraConfig: { 'enable-debug-command': 'yes' } }),
      startRedisNodes(1, { clusterEnabled: false }),
      startRedisNodes(1, { password: 'pw-probe' }),
    ]);
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all([cluster?.stop(), plain?.stop(), secured?.stop()]);
  });
  const connect = async (address: string): Promise<Redis> => {
    const c = await connectNode(address);
    clients.push(c);
    return c;
  };

  test('a fresh cluster-mode node is ok', async () => {
    const node = cluster.nodes[0]!;
    const client = await connect(node.address);
    const probe = await probeNode(node.address);
    assert.deepEqual(probe.problems, []);
    assert.equal(probe.ok, true);
    assert.match(probe.redisVersion ?? '', /^7\./);
    assert.equal(probe.nodeId, await client.call('CLUSTER', 'MYID'));
  });

  test('a node without cluster mode', async () => {
    const node = plain.nodes[0]!;
    const client = await connect(node.address);
    const before = await snapshot(client);
    const probe = await probeNode(node.address);
    assert.equal(probe.ok, false);
    assert.deepEqual(probe.problems, ['not in cluster mode (cluster_enabled:0)']);
    assert.equal(probe.nodeId, null);
    assert.equal(await snapshot(client), before);
  });

  test('a node with keys (in any database)', async () => {
    const node = cluster.nodes[1]!;
    const client = await connect(node.address);
    // A node without slots refuses writes; DEBUG POPULATE writes to the keyspace directly.
    await client.call('DEBUG', 'POPULATE', '3');
    const before = await snapshot(client);
    const probe = await probeNode(node.address);
    assert.deepEqual(probe.problems, ['holds 3 keys']);
    assert.equal(await snapshot(client), before);

    const other = await connect(plain.nodes[0]!.address);
    await other.set('x', '1');
    await other.select(3);
    await other.set('y', '1');
    const plainProbe = await probeNode(plain.nodes[0]!.address);
    assert.deepEqual(plainProbe.problems, ['holds 2 keys', 'not in cluster mode (cluster_enabled:0)']);
  });

  test('a node that already met another node and serves slots', async () => {
    const [a, b] = [cluster.nodes[2]!, cluster.nodes[3]!];
    const client = await connect(a.address);
    await client.call('CLUSTER', 'ADDSLOTSRANGE', '0', '99');
    await client.call('CLUSTER', 'MEET', '127.0.0.1', String(b.port));
    const before = await snapshot(client);
    const probe = await probeNode(a.address);
    assert.equal(probe.ok, false);
    assert.deepEqual(probe.problems, ['already knows 1 other node', 'already serves 100 slots']);
    // Only the node's own gossip may change CLUSTER NODES meanwhile (handshake -> connected).
    assert.equal((await snapshot(client)).split('\n').length, before.split('\n').length);
  });

  test('an unreachable port', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
    await new Promise((r) => server.close(r));
    const probe = await probeNode(address);
    assert.equal(probe.ok, false);
    assert.equal(probe.problems.length, 1);
    assert.match(probe.problems[0] ?? '', /^unreachable: connect ECONNREFUSED/);
    assert.equal(probe.redisVersion, null);
  });

  test('wrong credentials are reported as such; right ones pass', async () => {
    const address = secured.nodes[0]!.address;
    const wrong = await probeNode(address, { password: 'nope' });
    assert.equal(wrong.ok, false);
    assert.match(wrong.problems[0] ?? '', /^authentication failed: WRONGPASS/);
    const right = await probeNode(address, { password: 'pw-probe' });
    assert.deepEqual(right.problems, []);
  });
});
