/**
 * bench:rebalance — 3 masters with 300,000 keys of 100 bytes, plus an empty 4th master; rebalance
 * using empty masters: slotsmith vs `redis-cli --cluster rebalance --cluster-use-empty-masters`,
 * each on its own identical fresh cluster, in one run, timed until every node agrees.
 */
import { freshNodes, getCluster, loadKeys, reportKeyedRun, runOperation, startBenchService, timeRedisCli, timeSlotsmith, type BenchService } from './support.ts';

const KEYS = Number(process.env.BENCH_KEYS ?? 300_000);

/** A 3-master cluster with the keys, and a 4th empty master added through the API (not timed). */
async function prepared(service: BenchService, name: string) {
  const nodes = await freshNodes(4);
  const [first, second, third, fourth] = nodes.nodes;
  await runOperation(service, '/v1/clusters', { name, nodes: [first!, second!, third!].map((n) => n.address), replicasPerShard: 0 });
  await loadKeys((await getCluster(service, name)).observed.nodes, KEYS, 100);
  await runOperation(service, `/v1/clusters/${name}/nodes`, { address: fourth!.address, role: 'master' });
  return { nodes, addresses: nodes.nodes.map((n) => n.address), seed: first!.address };
}

const service = await startBenchService();
try {
  const cli = await prepared(service, 'bench-cli');
  const cliRun = await timeRedisCli(cli, ['--cluster', 'rebalance', cli.seed, '--cluster-use-empty-masters']);
  const ours = await prepared(service, 'bench-ours');
  const ourRun = await timeSlotsmith(service, ours, '/v1/clusters/bench-ours/rebalance', { useEmptyMasters: true });
  reportKeyedRun(`rebalance 3 -> 4 masters, ${KEYS} keys`, 'redis-cli --cluster rebalance', KEYS, ourRun, cliRun);
} finally {
  await service.stop();
}
