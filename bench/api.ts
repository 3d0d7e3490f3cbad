/**
 * Read throughput of the API under load, as automation and dashboards poll it: autocannon with 10
 * connections against `GET /v1/clusters/{name}` (a 6-node cluster) and `GET /v1/operations/{id}`,
 * with a viewer token (so the token cache is what is measured, not the admin shortcut), against
 * the service run as `npm start` runs it (its own process, every role), on the embedded PGlite and
 * on PostgreSQL; then the cluster read again while the same process observes 20 more clusters of
 * 6 nodes every 5 s. Prints requests per second and latency percentiles; the target is >= 2,000
 * requests/s with p99 <= 20 ms for each read.
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
import { startRedisNodes, type RedisNodeSet } from '../test/helpers/redisNodes.ts';
import { createDataDir, isFinal, startServiceProcess, waitForOperationState, type ServiceProcess } from '../test/helpers/serviceProcess.ts';
import { ADMIN_URL } from '../test/store/backends.ts';

const CONNECTIONS = 10;
const DURATION_SECONDS = 10;
const EXTRA_CLUSTERS = 20;

interface Measured {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

async function load(url: string, token: string): Promise<Measured> {
  // A short warm-up so JIT and caches are as in a long-running service.
  await autocannon({ url, connections: CONNECTIONS, duration: 2, headers: { authorization: `Bearer ${token}` } });
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_SECONDS, headers: { authorization: `Bearer ${token}` } });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx + r.timeouts };
}

function print(label: string, m: Measured): void {
  const verdict = m.rps >= 2000 && m.p99 <= 20 && m.errors === 0 ? 'meets' : 'MISSES';
  console.log(`${label.padEnd(52)} ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${String(m.p50).padStart(3)} ms  p99 ${String(m.p99).padStart(3)} ms  errors ${m.errors}  (${verdict} >= 2000 req/s, p99 <= 20 ms)`);
}

async function createCluster(service: ServiceProcess, name: string, set: RedisNodeSet): Promise<string> {
  const res = await service.api('POST', '/v1/clusters', { name, nodes: set.nodes.map((n) => n.address), replicasPerShard: 1 });
  if (res.status !== 202) throw new Error(`create ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  const op = await waitForOperationState(service, res.body.id, isFinal, { what: 'the create to end' });
  if (op.status !== 'succeeded') throw new Error(`create ${name} ${op.status}: ${JSON.stringify(op.error)}`);
  return op.id;
}

async function viewerToken(service: ServiceProcess): Promise<string> {
  const res = await service.api('POST', '/v1/tokens', { name: 'dashboard', role: 'viewer' });
  if (res.status !== 201) throw new Error(`token: ${res.status}`);
  return res.body.token;
}

async function run(backend: string, database: { databaseUrl: string } | { dataDir: string }, observed: boolean): Promise<void> {
  const sets: RedisNodeSet[] = [];
  const service = await startServiceProcess({ ...database, workerId: `bench-${backend}`, roles: 'rest,grpc,worker,observer', env: { WORKER_CONCURRENCY: '4' } });
  try {
    sets.push(await startRedisNodes(6));
    const opId = await createCluster(service, 'c1', sets[0]!);
    const token = await viewerToken(service);
    print(`${backend}: GET /v1/clusters/c1`, await load(`${service.baseUrl}/v1/clusters/c1`, token));
    print(`${backend}: GET /v1/operations/{id}`, await load(`${service.baseUrl}/v1/operations/${opId}`, token));
    if (!observed) return;
    const more = await Promise.all(Array.from({ length: EXTRA_CLUSTERS }, () => startRedisNodes(6, process.env.BENCH_HZ ? { extraConfig: { hz: process.env.BENCH_HZ } } : {})));
    sets.push(...more);
    for (let i = 0; i < more.length; i += 4) {
      await Promise.all(more.slice(i, i + 4).map((set, j) => createCluster(service, `watched-${i + j + 1}`, set)));
    }
    print(`${backend}, observing ${EXTRA_CLUSTERS + 1} clusters x 6 nodes: GET /v1/clusters/c1`, await load(`${service.baseUrl}/v1/clusters/c1`, token));
  } finally {
    await service.stop();
    await Promise.all(sets.map((s) => s.stop()));
  }
}

const data = await createDataDir();
try {
  await run('PGlite', { dataDir: data.dir }, true);
} finally {
  await data.dispose();
}
const name = `slotsmith_bench_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
try {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  await run('PostgreSQL', { databaseUrl: url.toString() }, false);
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
