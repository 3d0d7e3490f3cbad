import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { rangesToSlots } from '../../src/domain/slotSet.ts';
import type { ClusterView } from '../../src/contract/clusterView.ts';
import type { OperationView } from '../../src/contract/operationView.ts';
import type { TestDatabase } from '../store/backends.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { ownersFromNodes } from '../helpers/clusters.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';
import {
  claimsOf, createPostgresDatabase, isFinal, operationEvents, startServiceProcess, waitForOperationState,
  type ClaimEvent, type ServiceProcess,
} from '../helpers/serviceProcess.ts';

/**
 * Two long reshards and a short one: the short one's worker is idle (and polling) while the long
 * ones run for longer than a lease, so a lease that was not renewed would be stolen and show.
 */
const CLUSTERS = [{ name: 'east', slots: 10_000 }, { name: 'west', slots: 10_000 }, { name: 'north', slots: 1000 }] as const;
const KEYS_PER_CLUSTER = 30_000;
const LEASE_SECONDS = 3;

interface PlannedMove {
  from: { id: string; address: string };
  to: { id: string; address: string };
  slots: [number, number][];
}

/** What one cluster of the test looks like: its nodes, masters and the slot owners its reshard must leave. */
interface ClusterUnderTest {
  name: string;
  slots: number;
  masterAddresses: string[];
  /** The reshard moves `slots` slots to this master from the other two. */
  targetId: string;
  expectedOwners: string[];
  operationId: string;
}

/** One sample of an operation row, read straight from PostgreSQL with the database's clock. */
interface LeaseSample {
  lockedBy: string | null;
  attempts: number;
  status: string;
  leaseExpiresAt: Date | null;
}

describe('several service processes share one PostgreSQL queue', () => {
  let database: TestDatabase;
  const sets: RedisNodeSet[] = [];
  const services: ServiceProcess[] = [];
  let api: ServiceProcess;
  let workers: ServiceProcess[];

  before(async () => {
    database = await createPostgresDatabase();
    for (const _ of CLUSTERS) sets.push(await startRedisNodes(3));
    const url = database.url!;
    // One operation per worker at a time, so three reshards queued together need three workers.
    // worker-1 runs every role, worker-2 REST and a worker, worker-3 only a worker, and the fourth
    // process only REST: every request of the test goes there, so the workers do all the work.
    const env = { WORKER_CONCURRENCY: '1' };
    const started = await Promise.all([
      startServiceProcess({ databaseUrl: url, workerId: 'worker-1', leaseSeconds: LEASE_SECONDS, env }),
      startServiceProcess({ databaseUrl: url, workerId: 'worker-2', roles: 'rest,worker', leaseSeconds: LEASE_SECONDS, env }),
      startServiceProcess({ databaseUrl: url, workerId: 'worker-3', roles: 'worker', leaseSeconds: LEASE_SECONDS, env }),
      startServiceProcess({ databaseUrl: url, workerId: 'api-only', roles: 'rest', leaseSeconds: LEASE_SECONDS }),
    ]);
    services.push(...started);
    workers = started.slice(0, 3);
    api = started[3]!;
  });
  after(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await Promise.all(sets.map((s) => s.stop()));
    await database?.dispose();
  });

  test('each operation has one owner at a time; a dead worker\'s reshard is taken over after its lease', async (t) => {
    const creates = await Promise.all(CLUSTERS.map(({ name }, i) =>
      api.api('POST', '/v1/clusters', { name, nodes: sets[i]!.nodes.map((n) => n.address), replicasPerShard: 0 })));
    for (const c of creates) assert.equal(c.status, 202, JSON.stringify(c.body));
    for (const c of creates) {
      const op = await waitForOperationState(api, c.body.id, isFinal, { what: 'a final status' });
      assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    }

    const clusters: ClusterUnderTest[] = [];
    for (const [i, { name, slots }] of CLUSTERS.entries()) {
      const view = (await api.api<ClusterView>('GET', `/v1/clusters/${name}`)).body;
      const masters = view.observed!.nodes.filter((n) => n.role === 'master').sort((a, b) => a.slots[0]![0] - b.slots[0]![0]);
      await loadKeys(masters, KEYS_PER_CLUSTER, 32);
      const masterAddresses = masters.map((m) => m.address);
      assert.equal(await countKeys(masterAddresses), KEYS_PER_CLUSTER);
      const plan = await api.api('POST', `/v1/clusters/${name}/reshard`, { to: masters[2]!.id, slots, dryRun: true });
      assert.equal(plan.status, 200, JSON.stringify(plan.body));
      const expectedOwners = await ownersFromNodes(masterAddresses);
      for (const m of plan.body.moves as PlannedMove[]) for (const slot of rangesToSlots(m.slots)) expectedOwners[slot] = m.to.id;
      clusters.push({ name, slots, masterAddresses, targetId: masters[2]!.id, expectedOwners, operationId: '' });
    }

    // Watch the rows from PostgreSQL while everything runs: who holds each operation, with which lease.
    const samples = new Map<string, LeaseSample[]>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const rows = await database.db.query<LeaseSample & { id: string }>(
          `SELECT id, locked_by AS "lockedBy", attempts, status, lease_expires_at AS "leaseExpiresAt" FROM operations WHERE kind = 'reshard'`);
        for (const row of rows) {
          const list = samples.get(row.id) ?? [];
          const last = list.at(-1);
          if (!last || last.lockedBy !== row.lockedBy || last.attempts !== row.attempts || last.status !== row.status
            || last.leaseExpiresAt?.getTime() !== row.leaseExpiresAt?.getTime()) {
            list.push({ lockedBy: row.lockedBy, attempts: row.attempts, status: row.status, leaseExpiresAt: row.leaseExpiresAt });
          }
          samples.set(row.id, list);
        }
        await delay(20);
      }
    })();

    try {
      // Throttled so the long reshards outlast a lease (~6 s for ~18,000 keys) however fast the nodes are.
      const queued = await Promise.all(clusters.map((c) => api.api<OperationView>('POST', `/v1/clusters/${c.name}/reshard`, { to: c.targetId, slots: c.slots, maxKeysPerSecond: 3000 })));
      for (const [i, q] of queued.entries()) {
        assert.equal(q.status, 202, JSON.stringify(q.body));
        clusters[i]!.operationId = q.body.id;
      }

      // Kill the worker of a long reshard that has moved some slots but not most of them.
      let victim: { cluster: ClusterUnderTest; owner: ServiceProcess } | null = null;
      const deadline = Date.now() + 60_000;
      while (!victim) {
        if (Date.now() > deadline) throw new Error('no reshard was ever seen mid-way');
        for (const c of clusters.filter((x) => x.slots > 5000)) {
          const op = (await api.api<OperationView>('GET', `/v1/operations/${c.operationId}`)).body;
          if (isFinal(op)) continue;
          const moved = op.progress.slotsMoved ?? 0;
          if (op.status !== 'running' || moved === 0 || moved > c.slots * 0.6) continue;
          const claims = claimsOf(await operationEvents(api, c.operationId));
          const owner = workers.find((w) => w.workerId === claims.at(-1)?.workerId);
          if (owner) {
            victim = { cluster: c, owner };
            break;
          }
        }
        if (!victim) await delay(25);
      }
      await victim.owner.kill('SIGKILL');
      t.diagnostic(`killed ${victim.owner.workerId} while it ran the reshard of ${victim.cluster.name}`);

      const finals = await Promise.all(clusters.map((c) => waitForOperationState(api, c.operationId, isFinal, { what: 'a final status', timeoutMs: 180_000 })));
      for (const op of finals) {
        assert.equal(op.status, 'succeeded', `${op.cluster}: ${JSON.stringify(op.error)}`);
        t.diagnostic(`${op.cluster}: ${op.progress.slotsMoved} slots in ${(Date.parse(op.finishedAt!) - Date.parse(op.startedAt!)) / 1000} s`);
      }
      sampling = false;
      await sampler;

      // Events: every reshard started exactly once; only the victim's was resumed, once, by a live worker.
      const claimsByCluster = new Map<string, ClaimEvent[]>();
      for (const c of clusters) claimsByCluster.set(c.name, claimsOf(await operationEvents(api, c.operationId)));
      for (const c of clusters) {
        const claims = claimsByCluster.get(c.name)!;
        t.diagnostic(`${c.name}: ${claims.map((cl) => `${cl.type} by ${cl.workerId} (attempt ${cl.attempt})`).join(', ')}`);
        if (c === victim.cluster) {
          assert.equal(claims.length, 2, JSON.stringify(claims));
          assert.deepEqual(claims[0], { type: 'operation_started', workerId: victim.owner.workerId, attempt: 1 });
          assert.equal(claims[1]!.type, 'operation_resumed');
          assert.equal(claims[1]!.attempt, 2);
          assert.notEqual(claims[1]!.workerId, victim.owner.workerId);
          assert.ok(workers.some((w) => w !== victim!.owner && w.workerId === claims[1]!.workerId), claims[1]!.workerId);
        } else {
          assert.equal(claims.length, 1, `${c.name} was claimed more than once: ${JSON.stringify(claims)}`);
          assert.equal(claims[0]!.type, 'operation_started');
          assert.equal(claims[0]!.attempt, 1);
        }
      }
      // With one operation per worker, the three reshards queued together ran on three workers.
      const firstOwners = new Set(clusters.map((c) => claimsByCluster.get(c.name)![0]!.workerId));
      assert.equal(firstOwners.size, 3, [...firstOwners].join(','));

      // The rows: owners change only by a new claim (attempts + 1), and the new owner claimed only
      // after the dead owner's lease had expired (both times from PostgreSQL's clock).
      for (const c of clusters) {
        const history = samples.get(c.operationId) ?? [];
        const held = history.filter((s) => s.lockedBy !== null);
        for (let i = 1; i < held.length; i++) {
          if (held[i]!.lockedBy !== held[i - 1]!.lockedBy) {
            assert.equal(held[i]!.attempts, held[i - 1]!.attempts + 1, `${c.name}: owner changed without a claim: ${JSON.stringify(held)}`);
          }
        }
        const owners = [...new Set(held.map((s) => s.lockedBy))];
        assert.ok(!owners.includes(api.workerId), `${c.name} was held by the API-only process`);
        if (c !== victim.cluster) {
          assert.equal(owners.length, 1, `${c.name}: ${owners.join(',')}`);
          continue;
        }
        assert.equal(owners.length, 2, `${c.name}: ${owners.join(',')}`);
        const deadLease = held.filter((s) => s.lockedBy === victim!.owner.workerId).at(-1)!.leaseExpiresAt!;
        const newClaim = held.find((s) => s.lockedBy !== victim!.owner.workerId && s.attempts === 2)!;
        const claimedAt = newClaim.leaseExpiresAt!.getTime() - LEASE_SECONDS * 1000;
        assert.ok(claimedAt >= deadLease.getTime() - 1, `taken over at ${new Date(claimedAt).toISOString()}, before the lease ran out at ${deadLease.toISOString()}`);
      }
      // A lease is 3 s; reshards that ran longer than that kept theirs by heartbeat (one claim, above).
      const renewals = clusters.flatMap((c) => (samples.get(c.operationId) ?? []).filter((s, i, all) => {
        const prev = all[i - 1];
        return prev !== undefined && s.lockedBy !== null && s.lockedBy === prev.lockedBy && s.attempts === prev.attempts
          && s.leaseExpiresAt!.getTime() > prev.leaseExpiresAt!.getTime();
      }));
      assert.ok(renewals.length > 0, 'no lease was ever seen renewed');

      for (const c of clusters) {
        assert.equal(await countKeys(c.masterAddresses), KEYS_PER_CLUSTER, `${c.name} lost keys`);
        const check = await api.api('GET', `/v1/clusters/${c.name}/check`);
        assert.equal(check.body.ok, true, `${c.name}: ${JSON.stringify(check.body)}`);
        await assertClusterSettled(c.masterAddresses);
        const owners = await ownersFromNodes(c.masterAddresses);
        const wrong = owners.flatMap((owner, slot) => (owner === c.expectedOwners[slot] ? [] : [slot]));
        assert.deepEqual(wrong.slice(0, 20), [], `${c.name}: ${wrong.length} slots are not where the plan put them`);
      }
    } finally {
      sampling = false;
      await sampler;
    }

    // The API-only process never claimed anything: not in any timeline, not in its log.
    const all = (await api.api<{ operations: OperationView[] }>('GET', '/v1/operations?pageSize=100')).body.operations;
    assert.equal(all.length, CLUSTERS.length * 2);
    for (const op of all) {
      const claims = claimsOf(await operationEvents(api, op.id));
      assert.ok(claims.length > 0 && claims.every((cl) => cl.workerId !== api.workerId), `${op.id}: ${JSON.stringify(claims)}`);
    }
    assert.doesNotMatch(api.output(), /"message":"(worker started|claimed operation)"/);
    assert.match(api.output(), /"message":"REST API listening"/);
  });
});

