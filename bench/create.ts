/**
 * bench:create — time to a ready cluster, slotsmith vs `redis-cli --cluster create`, in one run.
 *
 * For each size, each tool gets its own new nodes, started a few seconds before the create (as
 * long-running nodes would be: Redis exempts nodes younger than 2 s from its rejoin delay, which
 * would flatter both). The clock runs from the request until the readiness of design.md holds on
 * every node, checked by the same function for both tools.
 */
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { readConfig } from '../src/config.ts';
import { silentLogger } from '../src/logger.ts';
import { NodeConnections } from '../src/redis/nodeConnections.ts';
import { checkReadiness } from '../src/redis/readiness.ts';
import { startService } from '../src/startService.ts';
import { openDatabase } from '../src/store/database.ts';
import { startRedisNodes, type RedisNodeSet } from '../test/helpers/redisNodes.ts';

const NODE_WARMUP_MS = 3000;
const READY_TIMEOUT_MS = 120_000;
const SIZES = [
  { masters: 3, replicas: 1 },
  { masters: 10, replicas: 2 },
] as const;
const TOKEN = 'bench-token';

async function untilReady(nodes: RedisNodeSet): Promise<void> {
  const connections = new NodeConnections();
  try {
    const clients = new Map<string, Redis>();
    for (const n of nodes.nodes) clients.set(n.address, await connections.get(n.address));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const r = await checkReadiness(clients);
      if (r.ready) return;
      if (Date.now() > deadline) throw new Error(`not ready: ${JSON.stringify(r.problems.slice(0, 5))}`);
      await delay(10);
    }
  } finally {
    await connections.closeAll();
  }
}

async function freshNodes(count: number): Promise<RedisNodeSet> {
  const nodes = await startRedisNodes(count);
  await delay(NODE_WARMUP_MS);
  return nodes;
}

async function timeRedisCli(count: number, replicas: number): Promise<number> {
  const nodes = await freshNodes(count);
  try {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn('redis-cli', ['--cluster', 'create', ...nodes.nodes.map((n) => n.address), '--cluster-replicas', String(replicas), '--cluster-yes'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-cli exited ${code}: ${stderr}`))));
    });
    await untilReady(nodes);
    return (performance.now() - started) / 1000;
  } finally {
    await nodes.stop();
  }
}

async function timeSlotsmith(baseUrl: string, name: string, count: number, replicas: number): Promise<number> {
  const nodes = await freshNodes(count);
  try {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const started = performance.now();
    const res = await fetch(`${baseUrl}/v1/clusters`, {
      method: 'POST', headers,
      body: JSON.stringify({ name, nodes: nodes.nodes.map((n) => n.address), replicasPerShard: replicas }),
    });
    if (res.status !== 202) throw new Error(`create answered ${res.status}: ${await res.text()}`);
    const op = (await res.json()) as { id: string };
    for (;;) {
      const current = (await (await fetch(`${baseUrl}/v1/operations/${op.id}`, { headers })).json()) as { status: string; error: unknown };
      if (current.status === 'succeeded') break;
      if (current.status === 'failed') throw new Error(`create failed: ${JSON.stringify(current.error)}`);
      await delay(10);
    }
    await untilReady(nodes);
    return (performance.now() - started) / 1000;
  } finally {
    await nodes.stop();
  }
}

const db = await openDatabase({});
const service = await startService({
  config: readConfig({ SLOTSMITH_ADMIN_TOKEN: TOKEN, PORT: '0', GRPC_PORT: '0', HOST: '127.0.0.1', SLOTSMITH_ROLES: 'rest,worker' }, []),
  log: silentLogger,
  announceToken: () => undefined,
  db,
});
const baseUrl = `http://127.0.0.1:${service.restPort}`;
const rows: { size: string; slotsmith: number; redisCli: number; ratio: number }[] = [];
try {
  for (const { masters, replicas } of SIZES) {
    const count = masters * (1 + replicas);
    const size = `${masters}x${replicas} (${count} nodes)`;
    const redisCli = await timeRedisCli(count, replicas);
    const slotsmith = await timeSlotsmith(baseUrl, `bench-${masters}x${replicas}`, count, replicas);
    rows.push({ size, slotsmith, redisCli, ratio: slotsmith / redisCli });
    console.log(`${size}: slotsmith ${slotsmith.toFixed(2)} s, redis-cli --cluster create ${redisCli.toFixed(2)} s, ratio ${(slotsmith / redisCli).toFixed(3)}`);
  }
} finally {
  await service.stop();
  await db.close();
}
console.table(rows.map((r) => ({ size: r.size, 'slotsmith s': r.slotsmith.toFixed(2), 'redis-cli s': r.redisCli.toFixed(2), ratio: r.ratio.toFixed(3) })));
