/**
 * bench:rebalance [-- --server valkey9|redis8|redis7] [--repeat N] [--migration auto|keys] [--database-url URL] [--against atomic,floor,redis-cli] — 3 masters with 100,000 keys of
 * 100 bytes plus an empty 4th master; rebalance using empty masters. In one run, each on its own
 * fresh identical cluster: slotsmith (migration "auto"), the server's atomic command driven by hand
 * with slotsmith's planned moves (Valkey 9, Redis 8), and
 * `redis-cli --cluster rebalance --cluster-use-empty-masters` (key by key), timed until every node agrees.
 */
import { compareSides } from './sides.ts';
import { benchArgs, freshNodes, getCluster, loadKeys, runOperation, startBenchService } from './support.ts';

const KEYS = Number(process.env.BENCH_KEYS ?? 100_000);
const { server, repeat, migration, databaseUrl, against } = benchArgs();

const service = await startBenchService({ databaseUrl });
try {
  await compareSides(service, server, repeat, {
    label: `rebalance 3 -> 4 masters, ${KEYS} keys`,
    expectedKeys: KEYS,
    /** A 3-master cluster with the keys, and a 4th empty master added through the API (not timed). */
    async prepare(name) {
      const nodes = await freshNodes(4, server);
      const [first, second, third, fourth] = nodes.nodes;
      await runOperation(service, '/v1/clusters', { name, nodes: [first!, second!, third!].map((n) => n.address), replicasPerShard: 0 });
      await loadKeys((await getCluster(service, name)).observed.nodes, KEYS, 100);
      await runOperation(service, `/v1/clusters/${name}/nodes`, { address: fourth!.address, role: 'master' });
      return { nodes, addresses: nodes.nodes.map((n) => n.address), seed: first!.address };
    },
    request: async () => ({ path: 'rebalance', body: { useEmptyMasters: true, migration } }),
    redisCliArgs: async (cluster) => ['--cluster', 'rebalance', cluster.seed, '--cluster-use-empty-masters'],
  }, against);
} finally {
  await service.stop();
}
