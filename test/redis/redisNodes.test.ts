import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { connectNode } from '../../src/redis/connectNode.ts';
import { parseInfo } from '../../src/redis/parseInfo.ts';
import { startRedisNodes } from '../helpers/redisNodes.ts';

test('startRedisNodes: parallel callers get distinct ports; stop() kills the nodes and removes their dirs', async () => {
  const [first, second] = await Promise.all([startRedisNodes(3), startRedisNodes(3, { clusterEnabled: false })]);
  const all = [...first.nodes, ...second.nodes];
  try {
    const ports = all.flatMap((n) => [n.port, n.port + 10000]);
    assert.equal(new Set(ports).size, ports.length, 'ports and bus ports do not collide');
    assert.ok(!ports.includes(6379));
    for (const node of all) {
      assert.equal(node.address, `127.0.0.1:${node.port}`);
      assert.ok(existsSync(node.dir));
    }
    const clusterClient = await connectNode(first.nodes[0]!.address);
    const plainClient = await connectNode(second.nodes[0]!.address);
    assert.equal(parseInfo(await clusterClient.info('cluster')).get('cluster_enabled'), '1');
    assert.equal(parseInfo(await plainClient.info('cluster')).get('cluster_enabled'), '0');
    assert.deepEqual(await clusterClient.config('GET', 'save'), ['save', '']);
    clusterClient.disconnect();
    plainClient.disconnect();
  } finally {
    await Promise.all([first.stop(), second.stop()]);
  }
  for (const node of all) assert.ok(!existsSync(node.dir), `${node.dir} removed`);
  await assert.rejects(connectNode(first.nodes[0]!.address), /ECONNREFUSED/);
});

test('startRedisNodes: password and extra config', async () => {
  const set = await startRedisNodes(1, { password: 'helper-pw', extraConfig: { 'cluster-node-timeout': '1234' } });
  try {
    await assert.rejects(connectNode(set.nodes[0]!.address), /authentication failed/);
    const client = await connectNode(set.nodes[0]!.address, { password: 'helper-pw' });
    assert.deepEqual(await client.config('GET', 'masterauth'), ['masterauth', 'helper-pw']);
    assert.deepEqual(await client.config('GET', 'cluster-node-timeout'), ['cluster-node-timeout', '1234']);
    client.disconnect();
  } finally {
    await set.stop();
  }
});
