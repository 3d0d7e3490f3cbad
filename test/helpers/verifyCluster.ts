import assert from 'node:assert/strict';
import { parseClusterNodes } from '../../src/redis/parseClusterNodes.ts';
import { assertClusterSettled } from './clusterCheck.ts';
import { withNodeClient, type RedisNode } from './redisNodes.ts';

/**
 * Checks a cluster from the nodes themselves (never from slotsmith's database): `redis-cli --cluster
 * check` passes with all slots covered, all nodes agreeing and no open slots; every node sees the
 * expected masters and replicas; every node reports `cluster_state:ok`; and the nodes' own
 * `cluster-node-timeout` and `repl-diskless-sync-delay` are back to what they were.
 */
export async function verifyClusterFromNodes(nodes: readonly RedisNode[], masters: number, replicasPerShard: number, password?: string): Promise<void> {
  await assertClusterSettled(nodes.map((n) => n.address), password ? { password } : undefined);

  for (const node of nodes) {
    await withNodeClient(node, async (client) => {
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
    }, password);
  }
}
