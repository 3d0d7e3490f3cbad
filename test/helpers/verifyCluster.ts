import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { parseClusterNodes } from '../../src/redis/parseClusterNodes.ts';
import type { RedisNode } from './redisNodes.ts';

const run = promisify(execFile);

/**
 * Checks a cluster from the nodes themselves (never from slotsmith's database): `redis-cli --cluster
 * check` passes with all slots covered, all nodes agreeing and no open slots; every node sees the
 * expected masters and replicas; every node reports `cluster_state:ok`; and the nodes' own
 * `cluster-node-timeout` and `repl-diskless-sync-delay` are back to what they were.
 */
export async function verifyClusterFromNodes(nodes: readonly RedisNode[], masters: number, replicasPerShard: number, password?: string): Promise<void> {
  const first = nodes[0]!;
  const args = ['--cluster', 'check', first.address, ...(password ? ['-a', password, '--no-auth-warning'] : [])];
  const { stdout } = await run('redis-cli', args);
  assert.match(stdout, /\[OK\] All nodes agree about slots configuration\./);
  assert.match(stdout, /\[OK\] All 16384 slots covered\./);
  assert.doesNotMatch(stdout, /\[ERR\]|\[WARNING\]|in (migrating|importing) state/i);

  for (const node of nodes) {
    const client = new Redis({ host: node.host, port: node.port, lazyConnect: true, retryStrategy: () => null, ...(password ? { password } : {}) });
    try {
      await client.connect();
      const info = await client.cluster('INFO') as string;
      assert.match(info, /cluster_state:ok/, `${node.address} is not ok`);
      const view = parseClusterNodes(await client.cluster('NODES') as string);
      assert.equal(view.length, nodes.length, `${node.address} knows ${view.length} nodes`);
      const ms = view.filter((n) => n.role === 'master');
      assert.equal(ms.length, masters, `${node.address} sees ${ms.length} masters`);
      for (const m of ms) {
        const replicas = view.filter((r) => r.role === 'replica' && r.masterId === m.id);
        assert.equal(replicas.length, replicasPerShard, `master ${m.address} has ${replicas.length} replicas`);
        assert.ok(replicas.every((r) => r.address !== m.address));
      }
      const [, timeout] = await client.config('GET', 'cluster-node-timeout') as string[];
      const [, delay] = await client.config('GET', 'repl-diskless-sync-delay') as string[];
      assert.equal(timeout, '15000', `${node.address} cluster-node-timeout not restored`);
      assert.equal(delay, '5', `${node.address} repl-diskless-sync-delay not restored`);
    } finally {
      client.disconnect();
    }
  }
}
