/**
 * bench:create — time to a ready cluster, slotsmith vs `redis-cli --cluster create`, in one run.
 *
 * For each size, each tool gets its own new nodes, started a few seconds before the create (as
 * long-running nodes would be: Redis exempts nodes younger than 2 s from its rejoin delay, which
 * would flatter both). The clock runs from the request until the readiness of design.md holds on
 * every node, checked by the same function for both tools.
 */
import { freshNodes, printResult, runCommand, runOperation, startBenchService, untilReady } from './support.ts';

const SIZES = [
  { masters: 3, replicas: 1 },
  { masters: 10, replicas: 2 },
] as const;

const service = await startBenchService();
try {
  for (const { masters, replicas } of SIZES) {
    const count = masters * (1 + replicas);

    const cliNodes = await freshNodes(count);
    const cliAddresses = cliNodes.nodes.map((n) => n.address);
    let started = performance.now();
    await runCommand('redis-cli', ['--cluster', 'create', ...cliAddresses, '--cluster-replicas', String(replicas), '--cluster-yes']);
    await untilReady(cliAddresses);
    const redisCli = (performance.now() - started) / 1000;
    await cliNodes.stop();

    const ourNodes = await freshNodes(count);
    const ourAddresses = ourNodes.nodes.map((n) => n.address);
    started = performance.now();
    await runOperation(service, '/v1/clusters', { name: `bench-${masters}x${replicas}`, nodes: ourAddresses, replicasPerShard: replicas });
    await untilReady(ourAddresses);
    const slotsmith = (performance.now() - started) / 1000;
    await ourNodes.stop();

    printResult(`create ${masters}x${replicas} (${count} nodes)`, slotsmith, redisCli, 'redis-cli --cluster create');
  }
} finally {
  await service.stop();
}
