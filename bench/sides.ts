/** The three sides of a slot-moving benchmark, each timed the same way, repeated, in one run. */
import { migrateAtomicallyByHand, type HandMove } from './atomicByHand.ts';
import { migrateFloor } from './migrateFloor.ts';
import { minMedian, runCommand, runOperation, watchReadiness, type Baseline, type BenchCluster, type BenchService, type ReadinessWatch } from './support.ts';
import { countKeys } from '../test/helpers/keys.ts';
import { observeCluster } from '../src/redis/observeCluster.ts';
import type { TestServer } from '../test/helpers/redisNodes.ts';

const HEADERS = { authorization: 'Bearer bench-token', 'content-type': 'application/json' };
/** Untimed runs of slotsmith's side before the timed ones (see compareSides). */
const WARM_UP_RUNS = 2;

/** A prepared cluster, and how to ask slotsmith and redis-cli for the same change on it. */
export interface Scenario {
  readonly label: string;
  readonly expectedKeys: number;
  /** A fresh cluster with the keys, created through slotsmith under `name` (not timed). */
  prepare(name: string): Promise<BenchCluster & { readonly seed: string }>;
  /** The slotsmith request for cluster `name`: path under /v1/clusters/{name}/ and body. */
  request(name: string): Promise<{ readonly path: string; readonly body: Record<string, unknown> }>;
  /** redis-cli's arguments for the same change on `cluster`. */
  redisCliArgs(cluster: BenchCluster & { readonly seed: string }, name: string): Promise<string[]>;
}

interface Timed {
  readonly seconds: number;
  readonly keys: number;
  /** slotsmith only: the nodes did not all agree yet when it answered (its clock ran on until they did). */
  readonly answeredEarly?: boolean;
}

/**
 * Runs each side `repeat` times on its own fresh cluster (slotsmith, and those of `against`: the
 * atomic command by hand where the server has it, the MIGRATE floor client with slotsmith's moves,
 * redis-cli), one side at a time (so each is measured
 * on a quiet machine: slotsmith lives in its own process, idle while the others run), and prints
 * min/median per side and the ratios of the medians. Fails the run when any side lost keys.
 */
export async function compareSides(service: BenchService, server: TestServer, repeat: number, scenario: Scenario, against: ReadonlySet<Baseline>): Promise<void> {
  const atomic = server === 'redis7' || !against.has('atomic') ? null : server === 'valkey9' ? 'valkey' : 'redis';
  const results: Record<string, Timed[]> = { slotsmith: [], 'atomic by hand': [], 'MIGRATE floor': [], 'redis-cli --cluster': [] };
  let n = 0;
  // slotsmith runs warm, as a running service does: the first operations of a fresh process run
  // its code and its embedded database's WebAssembly unoptimised (about 50 ms slower here). Two
  // untimed runs of the same change on their own clusters come first.
  for (let i = 0; i < WARM_UP_RUNS; i++) {
    const name = `warm-${i}`;
    const cluster = await scenario.prepare(name);
    const req = await scenario.request(name);
    await runOperation(service, `/v1/clusters/${name}/${req.path}`, req.body);
    await cluster.nodes.stop();
  }
  for (let i = 0; i < repeat; i++) {
    {
      const name = `ours-${n++}`;
      const cluster = await scenario.prepare(name);
      const req = await scenario.request(name);
      const ready = await watchReadiness(cluster.addresses);
      const started = performance.now();
      await runOperation(service, `/v1/clusters/${name}/${req.path}`, req.body);
      results.slotsmith!.push(await settle(cluster, ready, started, performance.now()));
    }
    if (atomic) {
      const name = `hand-${n++}`;
      const cluster = await scenario.prepare(name);
      const moves = await plannedMoves(service, name, await scenario.request(name));
      const ready = await watchReadiness(cluster.addresses);
      const started = performance.now();
      await migrateAtomicallyByHand(atomic, moves);
      results['atomic by hand']!.push(await settle(cluster, ready, started));
    }
    if (against.has('floor')) {
      const name = `floor-${n++}`;
      const cluster = await scenario.prepare(name);
      const moves = await plannedMoves(service, name, await scenario.request(name));
      const masters = (await observeCluster(cluster.addresses)).nodes.filter((x) => x.role === 'master').map((x) => x.address);
      const ready = await watchReadiness(cluster.addresses);
      const started = performance.now();
      await migrateFloor(moves, masters);
      results['MIGRATE floor']!.push(await settle(cluster, ready, started));
    }
    if (against.has('redis-cli')) {
      const name = `cli-${n++}`;
      const cluster = await scenario.prepare(name);
      const args = await scenario.redisCliArgs(cluster, name);
      const ready = await watchReadiness(cluster.addresses);
      const started = performance.now();
      await runCommand('redis-cli', args);
      results['redis-cli --cluster']!.push(await settle(cluster, ready, started));
    }
  }
  console.log(`${scenario.label} on ${server} (slotsmith on ${service.store}):`);
  const medians: Record<string, number> = {};
  for (const [side, runs] of Object.entries(results)) {
    if (runs.length === 0) continue;
    const stats = minMedian(runs.map((r) => r.seconds));
    medians[side] = stats.median;
    const lost = runs.filter((r) => r.keys !== scenario.expectedKeys);
    const early = runs.filter((r) => r.answeredEarly).length;
    console.log(`  ${side.padEnd(20)} ${stats.text}${lost.length > 0 ? `  LOST KEYS: ${lost.map((r) => r.keys).join(', ')}` : ''}`
      + `${early > 0 ? `  (${early} answered before every node agreed)` : ''}`);
    if (lost.length > 0) process.exitCode = 1;
  }
  const ours = medians.slotsmith!;
  for (const [side, median] of Object.entries(medians)) {
    if (side !== 'slotsmith') console.log(`  slotsmith / ${side}: ${(ours / median).toFixed(3)} (medians)`);
  }
}

/** The moves slotsmith would make for `req` on cluster `name` (a dry run), for the reference clients. */
async function plannedMoves(service: BenchService, name: string, req: { path: string; body: Record<string, unknown> }): Promise<HandMove[]> {
  const plan = await fetch(`${service.baseUrl}/v1/clusters/${name}/${req.path}`, {
    method: 'POST', headers: HEADERS, body: JSON.stringify({ ...req.body, dryRun: true }),
  });
  return ((await plan.json()) as { moves: HandMove[] }).moves;
}

/**
 * Waits until every node agrees (design.md's readiness, through connections opened before the
 * clock started), counts the keys on the masters, stops the nodes.
 *
 * Each side pays for one successful readiness check: a side that returns before the nodes agree
 * (a hand-driven command, redis-cli) is timed until the bench's own check holds; slotsmith, which
 * answers only once its own check of the same readiness held (`wait_converged`), is timed until
 * its answer (`answeredAt`) when the bench's check right after holds at once, and until that
 * check holds otherwise (counted and printed as answered early). Timing the bench's check after
 * slotsmith's answer as well would charge slotsmith for the same check twice.
 */
async function settle(cluster: BenchCluster, ready: ReadinessWatch, started: number, answeredAt?: number): Promise<Timed> {
  let atFirstCheck: boolean;
  try {
    ({ atFirstCheck } = await ready.until());
  } finally {
    await ready.close();
  }
  const answeredEarly = answeredAt !== undefined && !atFirstCheck;
  const seconds = ((answeredAt !== undefined && atFirstCheck ? answeredAt : performance.now()) - started) / 1000;
  const { nodes } = await observeCluster(cluster.addresses);
  const keys = await countKeys(nodes.filter((n) => n.myself && n.role === 'master').map((n) => n.address));
  await cluster.nodes.stop();
  return { seconds, keys, answeredEarly };
}
