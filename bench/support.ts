/** Shared pieces of the benchmarks: the service in-process, fresh nodes, readiness, data loading. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { parseArgs } from 'node:util';
import { NodeConnections } from '../src/redis/nodeConnections.ts';
import { checkReadiness } from '../src/redis/readiness.ts';
import { startRedisNodes, TEST_SERVERS, type RedisNodeSet, type TestServer } from '../test/helpers/redisNodes.ts';
import { createDataDir, startServiceProcess } from '../test/helpers/serviceProcess.ts';

import { countKeys } from '../test/helpers/keys.ts';

export { loadKeys } from '../test/helpers/keys.ts';

export const TOKEN = 'bench-token';
const HEADERS = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
/** Nodes are started this long before they are used, as long-running nodes would be. */
const NODE_WARMUP_MS = 3000;

export interface BenchService {
  readonly baseUrl: string;
  /** Where the service keeps its state: `PGlite` (the embedded default) or `PostgreSQL`. */
  readonly store: string;
  stop(): Promise<void>;
}

/**
 * slotsmith as users run it: its own process (`node --import tsx src/main.ts`, REST and the worker,
 * an embedded PGlite directory, or the PostgreSQL database at `databaseUrl`), so the bench process
 * that loads keys and times the baselines shares nothing with it but the machine. (In one process,
 * the service's event loop and GC slowed redis-cli's side: see the note of issue 10.)
 */
export async function startBenchService(opts: { readonly databaseUrl?: string | undefined } = {}): Promise<BenchService> {
  const data = await createDataDir();
  const service = await startServiceProcess({
    ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : { dataDir: data.dir }), workerId: 'bench', roles: 'rest,worker', leaseSeconds: 30,
    // The service's default poll (the test helper's is shorter, for quick tests): an idle worker
    // looking for work every 100 ms costs the running operation a database query each time.
    env: { SLOTSMITH_ADMIN_TOKEN: TOKEN, POLL_INTERVAL_MS: '500' },
  });
  return {
    baseUrl: service.baseUrl!,
    store: opts.databaseUrl ? 'PostgreSQL' : 'PGlite',
    async stop() {
      await service.stop();
      await data.dispose();
    },
  };
}

/** Starts `count` nodes of `server` and lets them settle, as long-running nodes would be. */
export async function freshNodes(count: number, server: TestServer = 'redis7'): Promise<RedisNodeSet> {
  const nodes = await startRedisNodes(count, { server });
  await delay(NODE_WARMUP_MS);
  return nodes;
}

/** The sides a slot-moving benchmark can time against slotsmith's (see `compareSides`). */
export const BASELINES = ['atomic', 'floor', 'redis-cli'] as const;
/** One of {@link BASELINES}. */
export type Baseline = (typeof BASELINES)[number];

/**
 * `--server valkey9|redis8|redis7` (default redis7), `--repeat N` (default 3), `--migration
 * auto|atomic|keys` (default auto), which slotsmith's side asks for, `--database-url URL`:
 * slotsmith keeps its state in that (empty) PostgreSQL database instead of the embedded PGlite,
 * and `--against atomic,floor,redis-cli` (default all): the sides timed beside slotsmith's (the
 * key-by-key sides take tens of seconds a run on Valkey 9, so many repeats of the atomic ratio
 * alone need `--against atomic`).
 */
export function benchArgs(): { server: TestServer; repeat: number; migration: string; databaseUrl: string | undefined; against: ReadonlySet<Baseline> } {
  const { values } = parseArgs({ options: {
    server: { type: 'string', default: 'redis7' }, repeat: { type: 'string', default: '3' }, migration: { type: 'string', default: 'auto' },
    'database-url': { type: 'string' }, against: { type: 'string', default: BASELINES.join(',') },
  } });
  const server = values.server as TestServer;
  if (!TEST_SERVERS.includes(server)) throw new Error(`--server must be one of ${TEST_SERVERS.join(', ')}`);
  if (!['auto', 'atomic', 'keys'].includes(values.migration)) throw new Error('--migration must be auto, atomic or keys');
  const against = values.against.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = against.filter((s) => !(BASELINES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`--against takes ${BASELINES.join(', ')}; not ${unknown.join(', ')}`);
  return { server, repeat: Math.max(1, Number(values.repeat)), migration: values.migration, databaseUrl: values['database-url'], against: new Set(against as Baseline[]) };
}

/** Min and median of some seconds, as `min 0.412 s, median 0.440 s (3 runs) [0.412 0.440 0.471]` (every run, sorted; to the millisecond: atomic moves take tens of them). */
export function minMedian(seconds: readonly number[]): { min: number; median: number; text: string } {
  const sorted = [...seconds].sort((a, b) => a - b);
  const min = sorted[0]!;
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { min, median, text: `min ${min.toFixed(3)} s, median ${median.toFixed(3)} s (${sorted.length} runs) [${sorted.map((x) => x.toFixed(3)).join(" ")}]` };
}

/** A readiness check with its connections already open (see {@link watchReadiness}). */
export interface ReadinessWatch {
  /**
   * Resolves once design.md's readiness holds on every node, with whether it held at the first
   * check; rejects after `timeoutMs`.
   */
  until(timeoutMs?: number): Promise<{ readonly atFirstCheck: boolean }>;
  close(): Promise<void>;
}

/**
 * Connects to every node for design.md's readiness check, the same check for every side. Opened
 * before a side's clock starts: connecting to six nodes takes ~10 ms here, which a side that
 * returns once the nodes agree (slotsmith) would otherwise pay after its end, while a side that
 * returns before they agree (a hand-driven command) hides it in the wait for them.
 */
export async function watchReadiness(addresses: readonly string[]): Promise<ReadinessWatch> {
  const connections = new NodeConnections();
  const clients = new Map<string, Redis>();
  try {
    for (const a of addresses) clients.set(a, await connections.get(a));
  } catch (err) {
    await connections.closeAll();
    throw err;
  }
  return {
    async until(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (let round = 0; ; round++) {
        const r = await checkReadiness(clients);
        if (r.ready) return { atFirstCheck: round === 0 };
        if (Date.now() > deadline) throw new Error(`not ready: ${JSON.stringify(r.problems.slice(0, 5))}`);
        await delay(10);
      }
    },
    close: () => connections.closeAll(),
  };
}

/** Waits until design.md's readiness holds on every node: the same check for both tools. */
export async function untilReady(addresses: readonly string[], timeoutMs = 120_000): Promise<void> {
  const watch = await watchReadiness(addresses);
  try {
    await watch.until(timeoutMs);
  } finally {
    await watch.close();
  }
}

/** POSTs to the API and waits for the operation to end (long poll); resolves with the operation. */
export async function runOperation(service: BenchService, path: string, body: unknown): Promise<{ id: string; status: string; progress: Record<string, unknown> }> {
  const res = await fetch(`${service.baseUrl}${path}`, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  const op = (await res.json()) as { id: string };
  for (;;) {
    // A long poll: the answer comes when the operation ends, as automation would wait for it.
    const current = (await (await fetch(`${service.baseUrl}/v1/operations/${op.id}?waitSeconds=60`, { headers: HEADERS })).json()) as {
      id: string; status: string; error: unknown; progress: Record<string, unknown>;
    };
    if (current.status === 'succeeded') return current;
    if (current.status === 'failed' || current.status === 'cancelled') throw new Error(`${path} ${current.status}: ${JSON.stringify(current.error)}`);
  }
}

export async function getCluster(service: BenchService, name: string): Promise<{ observed: { nodes: { id: string; address: string; role: string; slots: [number, number][] }[] } }> {
  const res = await fetch(`${service.baseUrl}/v1/clusters/${name}`, { headers: HEADERS });
  return (await res.json()) as never;
}

const GNU_TIME = '/usr/bin/time';

/**
 * Runs a command to completion; rejects with its stderr when it fails. Resolves with its peak
 * resident memory in KiB, measured by GNU time when the machine has it (null otherwise).
 */
export function runCommand(command: string, args: readonly string[]): Promise<{ peakRssKb: number | null }> {
  const timed = existsSync(GNU_TIME);
  return new Promise((resolve, reject) => {
    const child = timed
      ? spawn(GNU_TIME, ['-f', '%M', command, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${command} exited ${code}: ${stderr}`));
      const peak = timed ? Number(stderr.trim().split('\n').at(-1)) : NaN;
      resolve({ peakRssKb: Number.isFinite(peak) ? peak : null });
    });
  });
}

/** Runs `fn` while sampling this process's resident memory; resolves with its peak and its growth over the start. */
export async function trackRss<T>(fn: () => Promise<T>): Promise<{ value: T; peakRssKb: number; growthKb: number }> {
  const start = process.memoryUsage.rss();
  let peak = start;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, peakRssKb: Math.round(peak / 1024), growthKb: Math.round((peak - start) / 1024) };
  } finally {
    clearInterval(sampler);
  }
}

export interface MemoryResult {
  /** Peak RSS of the benchmark process, which runs slotsmith (service, worker, embedded database). */
  readonly slotsmithPeakKb: number;
  /** How much of it the timed run added. */
  readonly slotsmithGrowthKb: number;
  readonly cliPeakKb: number | null;
}

export function printResult(label: string, slotsmith: number, redisCli: number, tool: string, memory?: MemoryResult): void {
  console.log(`${label}: slotsmith ${slotsmith.toFixed(2)} s, ${tool} ${redisCli.toFixed(2)} s, ratio ${(slotsmith / redisCli).toFixed(3)}`);
  if (!memory) return;
  const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;
  console.log(`  memory: slotsmith +${mb(memory.slotsmithGrowthKb)} RSS during the run (the bench process, which also loads the keys, peaked at `
    + `${mb(memory.slotsmithPeakKb)}); redis-cli peak RSS ${memory.cliPeakKb === null ? 'not measured (no GNU time)' : mb(memory.cliPeakKb)}`);
}


/** A cluster set up for a keyed benchmark: its nodes (stopped once timed) and their addresses. */
export interface BenchCluster {
  readonly nodes: RedisNodeSet;
  readonly addresses: readonly string[];
}
