/**
 * bench:rebalance — 3 masters with 300,000 keys of 100 bytes, plus an empty 4th master; rebalance
 * using empty masters: slotsmith vs `redis-cli --cluster rebalance --cluster-use-empty-masters`,
 * each on its own identical fresh cluster, in one run, timed until every node agrees.
 */
import { countKeys, freshNodes, getCluster, loadKeys, printResult, runCommand, trackRss, runOperation, startBenchService, untilReady, type BenchService } from './support.ts';

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
  let started = performance.now();
  const cliRun = await runCommand('redis-cli', ['--cluster', 'rebalance', cli.seed, '--cluster-use-empty-masters']);
  await untilReady(cli.addresses);
  const redisCli = (performance.now() - started) / 1000;
  const cliKeys = await countKeys(cli.addresses);
  await cli.nodes.stop();

  const ours = await prepared(service, 'bench-ours');
  started = performance.now();
  const tracked = await trackRss(() => runOperation(service, '/v1/clusters/bench-ours/rebalance', { useEmptyMasters: true }));
  const op = tracked.value;
  await untilReady(ours.addresses);
  const slotsmith = (performance.now() - started) / 1000;
  const ourKeys = await countKeys(ours.addresses);
  await ours.nodes.stop();

  console.log(`keys after the rebalance: slotsmith ${ourKeys}, redis-cli ${cliKeys} (of ${KEYS}); slotsmith moved ${String(op.progress.keysMoved)} keys`);
  printResult(`rebalance 3 -> 4 masters, ${KEYS} keys`, slotsmith, redisCli, 'redis-cli --cluster rebalance', {
    slotsmithPeakKb: tracked.peakRssKb, slotsmithGrowthKb: tracked.growthKb, cliPeakKb: cliRun.peakRssKb,
  });
  if (ourKeys !== KEYS || cliKeys !== KEYS) {
    console.error('keys were lost');
    process.exitCode = 1;
  }
} finally {
  await service.stop();
}
