/**
 * bench:reshard [-- --server valkey9|redis8|redis7] [--repeat N] [--migration auto|keys] [--database-url URL] [--against atomic,floor,redis-cli] — 3 masters with a replica each,
 * 100,000 keys of 100 bytes, move 2730 slots from one master to another. In one run, each on its
 * own fresh identical cluster: slotsmith (migration "auto": atomic where the servers have it), the
 * server's atomic command driven by hand with the same slots (Valkey 9, Redis 8), and
 * `redis-cli --cluster reshard` (key by key). Each clock runs from the request until every node
 * agrees (design.md's readiness); afterwards every key must still be there.
 */
import { compareSides } from './sides.ts';
import { benchArgs, freshNodes, getCluster, loadKeys, runOperation, startBenchService } from './support.ts';

const KEYS = Number(process.env.BENCH_KEYS ?? 100_000);
const SLOTS = 2730;
const { server, repeat, migration, databaseUrl, against } = benchArgs();

const service = await startBenchService({ databaseUrl });
const mastersOf = async (name: string) => (await getCluster(service, name)).observed.nodes.filter((n) => n.role === 'master').sort((a, b) => a.slots[0]![0] - b.slots[0]![0]);
try {
  await compareSides(service, server, repeat, {
    label: `reshard ${SLOTS} slots, ${KEYS} keys, 3x1`,
    expectedKeys: KEYS,
    async prepare(name) {
      const nodes = await freshNodes(6, server);
      await runOperation(service, '/v1/clusters', { name, nodes: nodes.nodes.map((n) => n.address), replicasPerShard: 1 });
      await loadKeys(await mastersOf(name), KEYS, 100);
      return { nodes, addresses: nodes.nodes.map((n) => n.address), seed: nodes.nodes[0]!.address };
    },
    async request(name) {
      const [a, b] = await mastersOf(name);
      return { path: 'reshard', body: { to: b!.id, from: [a!.id], slots: SLOTS, migration } };
    },
    async redisCliArgs(cluster, name) {
      const [a, b] = await mastersOf(name);
      return ['--cluster', 'reshard', cluster.seed, '--cluster-from', a!.id, '--cluster-to', b!.id, '--cluster-slots', String(SLOTS), '--cluster-yes'];
    },
  }, against);
} finally {
  await service.stop();
}
