/**
 * bench:reshard — 3 masters, 300,000 keys of 100 bytes, move 2730 slots from one master to another:
 * slotsmith vs `redis-cli --cluster reshard`, each on its own identical fresh cluster, in one run.
 * Each clock runs from the request until every node agrees (design.md's readiness); afterwards
 * all 300,000 keys must still be there.
 */
import { freshNodes, getCluster, loadKeys, reportKeyedRun, runOperation, startBenchService, timeRedisCli, timeSlotsmith, type BenchService } from './support.ts';

const KEYS = Number(process.env.BENCH_KEYS ?? 300_000);
const SLOTS = 2730;

async function prepared(service: BenchService, name: string) {
  const nodes = await freshNodes(3);
  await runOperation(service, '/v1/clusters', { name, nodes: nodes.nodes.map((n) => n.address), replicasPerShard: 0 });
  const masters = (await getCluster(service, name)).observed.nodes.sort((a, b) => a.slots[0]![0] - b.slots[0]![0]);
  await loadKeys(masters, KEYS, 100);
  return { nodes, masters, addresses: nodes.nodes.map((n) => n.address) };
}

const service = await startBenchService();
try {
  const cli = await prepared(service, 'bench-cli');
  const [a, b] = [cli.masters[0]!, cli.masters[1]!];
  const cliRun = await timeRedisCli(cli, ['--cluster', 'reshard', a.address, '--cluster-from', a.id, '--cluster-to', b.id, '--cluster-slots', String(SLOTS), '--cluster-yes']);
  const ours = await prepared(service, 'bench-ours');
  const [oa, ob] = [ours.masters[0]!, ours.masters[1]!];
  const ourRun = await timeSlotsmith(service, ours, '/v1/clusters/bench-ours/reshard', { to: ob.id, from: [oa.id], slots: SLOTS });
  reportKeyedRun(`reshard ${SLOTS} slots, ${KEYS} keys`, 'redis-cli --cluster reshard', KEYS, ourRun, cliRun);
} finally {
  await service.stop();
}
