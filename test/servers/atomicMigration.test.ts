import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster } from 'ioredis';
import request from 'supertest';
import type { ClusterView } from '../../src/contract/clusterView.ts';
import type { OperationView } from '../../src/contract/operationView.ts';
import { planSlotMoves } from '../../src/domain/planSlotMoves.ts';
import { listAtomicJobs } from '../../src/redis/atomicMigration.ts';
import { countKeysInSlots } from '../../src/redis/countKeysInSlots.ts';
import { queuedOperation } from '../../src/service/plans.ts';
import { getClusterByName } from '../../src/store/clusters.ts';
import { insertOperation } from '../../src/store/operations.ts';
import type { RunningService } from '../../src/startService.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { createReadyCluster, observedMasters, slotCount } from '../helpers/clusters.ts';
import { eventually } from '../helpers/eventually.ts';
import { assertAcknowledgedWrites, startClusterWriter, type WriterResult } from '../helpers/clusterWriter.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startRedisNodes, withNodeClient, type RedisNodeSet, type TestServer } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';

const KEYS = 20_000;

/** The servers with atomic slot migration, and the dialect each speaks. */
const ATOMIC_SERVERS: readonly { server: TestServer; flavour: 'valkey' | 'redis'; dialect: 'valkey' | 'redis' }[] = [
  { server: 'valkey9', flavour: 'valkey', dialect: 'valkey' },
  { server: 'redis8', flavour: 'redis', dialect: 'redis' },
];

/** The jobs the servers themselves list (Valkey: exports on each source; Redis: imports on each target). */
async function serverJobs(set: RedisNodeSet, dialect: 'valkey' | 'redis'): Promise<string[]> {
  const ids: string[] = [];
  for (const node of set.nodes) {
    await withNodeClient(node, async (c) => {
      if (!String(await c.call('ROLE')).startsWith('master')) return;
      const tracked = dialect === 'valkey' ? 'export' : 'import';
      ids.push(...(await listAtomicJobs(dialect, c)).filter((j) => j.direction === tracked).map((j) => j.id));
    });
  }
  return ids;
}

/** A node's host and port from its `host:port`. */
function nodeAt(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

for (const { server, flavour, dialect } of ATOMIC_SERVERS) {
  describe(`atomic slot migration on ${server}`, () => {
    let service: RunningService;
    let set: RedisNodeSet;
    let addresses: string[];
    const api = () => request(service.restApp);
    const post = (path: string, body: object) => api().post(path).set('authorization', AUTH).send(body);
    const getOp = async (id: string) => (await api().get(`/v1/operations/${id}`).set('authorization', AUTH)).body as OperationView;
    const events = async (id: string) => (await api().get(`/v1/operations/${id}/events`).set('authorization', AUTH)).body.events as { type: string; message: string; data: Record<string, unknown> | null; nodes: string[] }[];
    const masterAddresses = async () => (await observedMasters(service, 'a')).map((m) => m.address);
    /** An atomic plan, made from the slot map now, moving the first `count` slots of the first master to the second. */
    const atomicPlan = async (count: number) => {
      const masters = await observedMasters(service, 'a');
      const [a, b] = masters;
      const [start] = a!.slots[0]!;
      const plan = planSlotMoves({
        kind: 'reshard', masters: masters.map((m) => ({ id: m.id, address: m.address, slots: m.slots })), replicasOf: new Map(), replace: false, convergeTimeoutSeconds: 60,
        moves: [{ from: { id: a!.id, address: a!.address }, to: { id: b!.id, address: b!.address }, slots: [[start, start + count - 1]], slotCount: count }],
        engine: { kind: 'atomic', dialect, reason: 'every source and target migrates slots atomically' },
      });
      return { a, b, start, plan };
    };

    before(async () => {
      service = await startTestService();
      set = await startRedisNodes(7, { server });
      addresses = set.nodes.slice(0, 6).map((n) => n.address);
      const res = await post('/v1/clusters', { name: 'a', nodes: addresses, replicasPerShard: 1 });
      assert.equal(res.status, 202, res.text);
      assert.equal((await waitForOperation(service.restApp, res.body.id)).status, 'succeeded');
      await loadKeys(await observedMasters(service, 'a'), KEYS, 64);
    });
    after(async () => {
      await service?.stop();
      await set?.stop();
    });

    test('the observed topology names the server and the atomic migration it speaks', async () => {
      const cluster = (await api().get('/v1/clusters/a?refresh=true').set('authorization', AUTH)).body as ClusterView;
      assert.equal(cluster.observed!.nodes.length, 6);
      for (const n of cluster.observed!.nodes) {
        assert.equal(n.server?.flavour, flavour);
        assert.equal(n.server?.atomicSlotMigration, dialect);
      }
      assert.equal(cluster.observed!.mixedVersions, false);
      assert.equal(cluster.observed!.servers.length, 1);
    });

    test('reshard (auto) runs as atomic jobs: planned, observed, every key present, nothing open', async () => {
      const [a, b] = await observedMasters(service, 'a');
      const body = { to: b!.id, from: [a!.id], slots: 2730 };
      const dry = await post('/v1/clusters/a/reshard', { ...body, dryRun: true });
      assert.equal(dry.status, 200, dry.text);
      assert.equal(dry.body.migration.engine, 'atomic');
      assert.equal(dry.body.migration.dialect, dialect);
      assert.match(dry.body.migration.reason, /atomically/);
      assert.ok(dry.body.moves.every((m: { engine: string }) => m.engine === 'atomic'));
      const jobsBefore = await serverJobs(set, dialect);
      // The job's keys are counted on the source's replica, whose thread the job does not need.
      const observed = ((await api().get('/v1/clusters/a').set('authorization', AUTH)).body as ClusterView).observed!.nodes;
      const replica = observed.find((n) => n.role === 'replica' && n.masterId === a!.id)!;
      const countsOn = (address: string) => withNodeClient(nodeAt(address), async (c) => /cmdstat_cluster\|countkeysinslot:calls=(\d+)/.exec(String(await c.call('INFO', 'commandstats')))?.[1] ?? '0');
      await Promise.all([a!.address, replica.address].map((address) => withNodeClient(nodeAt(address), (c) => c.call('CONFIG', 'RESETSTAT'))));
      const res = await post('/v1/clusters/a/reshard', body);
      assert.equal(res.status, 202, res.text);
      const op = await waitForOperation(service.restApp, res.body.id);
      assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
      assert.equal(op.progress.slotsMoved, 2730);
      assert.equal(await countsOn(a!.address), '0', 'nothing counted on the source');
      assert.equal(await countsOn(replica.address), '2730', 'every slot counted once on its replica');
      const move = op.steps.find((s) => s.kind === 'move_slots')!;
      assert.match(op.steps.find((s) => s.kind === 'check_cluster')!.detail ?? '', /as planned just before/, 'run on the look planning made');
      assert.match(move.title, /atomic slot migration/);
      assert.equal(move.jobs?.length, 1);
      assert.equal(move.jobs![0]!.state, 'succeeded');
      assert.ok((op.progress.keysMoved ?? 0) > 0);
      const timeline = await events(op.id);
      const types = timeline.map((e) => e.type);
      assert.ok(types.includes('migration_job_started') && types.includes('migration_job_succeeded'), types.join(', '));
      // A job's events name its two nodes, as an event about nodes does (watchers filter on them).
      const job = move.jobs![0]!;
      for (const e of timeline.filter((x) => x.type.startsWith('migration_job_'))) assert.deepEqual(e.nodes, [job.from.address, job.to.address], e.type);
      // One job on the servers for the one move: none started twice.
      const jobsAfter = (await serverJobs(set, dialect)).filter((id) => !jobsBefore.includes(id));
      assert.deepEqual(jobsAfter, [move.jobs![0]!.id]);
      assert.equal(await countKeys(await masterAddresses()), KEYS);
      assert.equal(job.keys, await withNodeClient(nodeAt(b!.address), (c) => countKeysInSlots(c, job.slots)), 'the keys the job moved, as counted before it');
      await assertClusterSettled(addresses);
      const masters = await observedMasters(service, 'a');
      const cluster = (await api().get('/v1/clusters/a').set('authorization', AUTH)).body as ClusterView;
      for (const m of masters) assert.deepEqual(cluster.spec.shards.find((s) => s.master === m.address)?.slots, m.slots, 'the spec records what the nodes serve');
    });

    test('a step whose slots partly moved before it ran asks only for the rest, once', async () => {
      // A plan made from this slot map (as one queued behind another operation is)...
      const { b, start, plan } = await atomicPlan(200);
      const jobsBefore = await serverJobs(set, dialect);
      // ...runs after half of its slots have moved.
      const first = await post('/v1/clusters/a/reshard', { moves: [{ slots: [[start, start + 99]], to: b!.id }] });
      assert.equal(first.status, 202, first.text);
      assert.equal((await waitForOperation(service.restApp, first.body.id)).status, 'succeeded');
      const cluster = (await getClusterByName(service.db, 'a'))!;
      const queued = await insertOperation(service.db, { clusterId: cluster.id, clusterName: 'a', ...queuedOperation(plan, { tokenId: 'test', name: 'test', role: 'admin' }, 'a') });
      const op = await waitForOperation(service.restApp, queued.id);
      assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
      const move = op.steps.find((s) => s.kind === 'move_slots')!;
      assert.match(move.detail ?? '', /^100 slots moved by 1 atomic job .*, 100 slots already in place$/);
      assert.deepEqual(move.jobs?.map((j) => [j.slots, j.state]), [[[[start + 100, start + 199]], 'succeeded']], 'the job stored ahead for all 200 slots gave way to the one asked for');
      const jobsAfter = (await serverJobs(set, dialect)).filter((id) => !jobsBefore.includes(id));
      assert.equal(jobsAfter.length, 2, 'one job per operation on the servers');
      assert.equal(await countKeys(await masterAddresses()), KEYS);
      await assertClusterSettled(addresses);
    });

    test('a resumed run looks for the jobs stored with the plan before asking, and asks once for what did not move', async () => {
      const { plan } = await atomicPlan(100);
      const jobsBefore = await serverJobs(set, dialect);
      const { steps, progress } = queuedOperation(plan, { tokenId: 'test', name: 'test', role: 'admin' }, 'a');
      assert.equal(steps.find((s) => s.kind === 'move_slots')!.outputs?.jobs?.[0]?.state, 'planned');
      // Stored as a run that claimed it and died before its ask went out (or after: the run cannot tell).
      const cluster = (await getClusterByName(service.db, 'a'))!;
      const [row] = await service.db.query<{ id: string }>(
        `INSERT INTO operations (cluster_id, cluster_name, kind, status, steps, progress, requested_by, attempts)
         VALUES ($1::uuid, 'a', 'reshard', 'queued', $2::jsonb, $3::jsonb, 'test', 1) RETURNING id`,
        [cluster.id, JSON.stringify(steps), JSON.stringify(progress)]);
      const op = await waitForOperation(service.restApp, row!.id);
      assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
      const move = op.steps.find((s) => s.kind === 'move_slots')!;
      assert.deepEqual(move.jobs?.map((j) => [j.state, j.attempt]), [['missing', 1], ['succeeded', 2]], 'the planned job was looked for, not taken as never asked');
      const jobsAfter = (await serverJobs(set, dialect)).filter((id) => !jobsBefore.includes(id));
      assert.deepEqual(jobsAfter, [move.jobs![1]!.id], 'one job on the servers');
      assert.equal(await countKeys(await masterAddresses()), KEYS);
      await assertClusterSettled(addresses);
    });

    test('the key engine still works on this server when asked for: a reshard, and a rebalance back', async () => {
      const [a, b] = await observedMasters(service, 'a');
      const res = await post('/v1/clusters/a/reshard', { to: a!.id, from: [b!.id], slots: 500, migration: 'keys' });
      assert.equal(res.status, 202, res.text);
      const op = await waitForOperation(service.restApp, res.body.id);
      assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
      assert.equal(op.steps.find((s) => s.kind === 'move_slots')!.jobs, undefined);
      assert.equal(await countKeys(await masterAddresses()), KEYS);
      await assertClusterSettled(addresses);
      const back = await post('/v1/clusters/a/rebalance', { migration: 'keys' });
      assert.equal(back.status, 202, back.text);
      const rebalanced = await waitForOperation(service.restApp, back.body.id);
      assert.equal(rebalanced.status, 'succeeded', JSON.stringify(rebalanced.error));
      assert.doesNotMatch(rebalanced.steps.find((s) => s.kind === 'move_slots')!.title, /atomic/);
      const counts = (await observedMasters(service, 'a')).map((m) => slotCount(m.slots));
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 400, `even again: ${counts.join(', ')}`);
      assert.equal(await countKeys(await masterAddresses()), KEYS);
      await assertClusterSettled(addresses);
    });

    test('the key engine, forced, stops at a safe point when cancelled: nothing open, nothing lost, the spec records what moved', async () => {
      const [a, b] = (await observedMasters(service, 'a')).sort((x, y) => slotCount(y.slots) - slotCount(x.slots));
      const keysBefore = await countKeys(await masterAddresses());
      // Throttled, so that the move lasts more than a second: the cancel lands mid-way.
      const res = await post('/v1/clusters/a/reshard', { to: b!.id, from: [a!.id], slots: 2000, migration: 'keys', maxKeysPerSecond: 1500 });
      assert.equal(res.status, 202, res.text);
      await eventually(async () => {
        const op = await getOp(res.body.id);
        if (op.status !== 'running' && op.status !== 'queued') throw new Error(`the reshard ended (${op.status}) before it could be cancelled`);
        return (op.progress.slotsMoved ?? 0) > 0 ? true : undefined;
      }, 20_000, 20);
      const cancel = await api().post(`/v1/operations/${res.body.id}/cancel`).set('authorization', AUTH);
      assert.equal(cancel.status, 202, cancel.text);
      const op = await waitForOperation(service.restApp, res.body.id);
      assert.equal(op.status, 'cancelled', JSON.stringify(op.error));
      const moved = op.progress.slotsMoved!;
      assert.ok(moved > 0 && moved < 2000, `${moved} of 2000 slots moved before the cancel`);
      assert.equal(op.steps.find((s) => s.kind === 'move_slots')!.jobs, undefined, 'key by key: no job');
      assert.equal(await countKeys(await masterAddresses()), keysBefore);
      await assertClusterSettled(addresses);
      const cluster = (await api().get('/v1/clusters/a').set('authorization', AUTH)).body as ClusterView;
      const masters = await observedMasters(service, 'a');
      assert.equal(slotCount(masters.find((m) => m.id === b!.id)!.slots), slotCount(b!.slots) + moved);
      for (const m of masters) assert.deepEqual(cluster.spec.shards.find((s) => s.master === m.address)?.slots, m.slots, 'the spec records what moved');
    });

    test('a cluster client writes through an atomic reshard: every acknowledged write is readable', async () => {
      const [a, b] = (await observedMasters(service, 'a')).sort((x, y) => slotCount(y.slots) - slotCount(x.slots));
      const client = new Cluster([{ host: set.nodes[0]!.host, port: set.nodes[0]!.port }], { maxRedirections: 64, retryDelayOnTryAgain: 20 });
      const writer = startClusterWriter(client, 'live');
      let written: WriterResult;
      try {
        const res = await post('/v1/clusters/a/reshard', { to: b!.id, from: [a!.id], slots: 2000 });
        assert.equal(res.status, 202, res.text);
        const op = await waitForOperation(service.restApp, res.body.id);
        assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
      } finally {
        written = await writer.stop();
      }
      try {
        assert.ok(written.acknowledged.size > 0);
        await assertAcknowledgedWrites(client, written);
      } finally {
        client.disconnect();
      }
      assert.equal(await countKeys(await masterAddresses()), KEYS + written.acknowledged.size);
      await assertClusterSettled(addresses);
    });

    test('rebalance (auto) after adding a master; removing it drains it atomically and keeps the roles asked for', async () => {
      const extra = set.nodes[6]!;
      const added = await post('/v1/clusters/a/nodes', { address: extra.address, role: 'master' });
      assert.equal(added.status, 202, added.text);
      assert.equal((await waitForOperation(service.restApp, added.body.id)).status, 'succeeded');
      const rebalanced = await post('/v1/clusters/a/rebalance', { useEmptyMasters: true });
      assert.equal(rebalanced.status, 202, rebalanced.text);
      const op = await waitForOperation(service.restApp, rebalanced.body.id);
      assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
      const move = op.steps.find((s) => s.kind === 'move_slots')!;
      assert.ok((move.jobs?.length ?? 0) >= 3, `${move.jobs?.length} jobs`);
      const masters = await observedMasters(service, 'a');
      assert.equal(masters.length, 4);
      for (const m of masters) assert.ok(Math.abs(slotCount(m.slots) - 4096) <= 2, `${m.address}: ${slotCount(m.slots)} slots`);

      const keys = await countKeys(masters.map((m) => m.address));
      const removed = await api().delete(`/v1/clusters/a/nodes/${encodeURIComponent(extra.address)}`).set('authorization', AUTH);
      assert.equal(removed.status, 202, removed.text);
      const removal = await waitForOperation(service.restApp, removed.body.id);
      assert.equal(removal.status, 'succeeded', JSON.stringify(removal.error));
      assert.ok((removal.steps.find((s) => s.kind === 'move_slots')!.jobs?.length ?? 0) >= 1);
      const after = await observedMasters(service, 'a');
      assert.equal(after.length, 3);
      assert.equal(await countKeys(after.map((m) => m.address)), keys);
      await assertClusterSettled(addresses);
      const cluster = (await api().get('/v1/clusters/a?refresh=true').set('authorization', AUTH)).body as ClusterView;
      assert.ok(!cluster.spec.nodes.includes(extra.address));
      assert.equal(cluster.spec.shards.length, 3);
      for (const m of after) assert.deepEqual(cluster.spec.shards.find((s) => s.master === m.address)?.slots, m.slots);
    });

    test('a weight-0 rebalance empties a master that stays a master (Valkey would make it a replica)', async () => {
      const [, , c] = await observedMasters(service, 'a');
      const res = await post('/v1/clusters/a/rebalance', { weights: { [c!.address]: 0 }, allowFewerThanThreeMasters: true });
      assert.equal(res.status, 202, res.text);
      const op = await waitForOperation(service.restApp, res.body.id);
      assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
      const cluster = (await api().get('/v1/clusters/a?refresh=true').set('authorization', AUTH)).body as ClusterView;
      const node = cluster.observed!.nodes.find((n) => n.address === c!.address)!;
      assert.equal(node.role, 'master');
      assert.deepEqual(node.slots, []);
      assert.deepEqual(cluster.spec.shards.find((s) => s.master === c!.address)?.slots, []);
      // Back to even, atomically.
      const back = await post('/v1/clusters/a/rebalance', { useEmptyMasters: true });
      assert.equal(back.status, 202, back.text);
      assert.equal((await waitForOperation(service.restApp, back.body.id)).status, 'succeeded');
      await assertClusterSettled(addresses);
    });

    test('cancel stops the running jobs at both ends: nothing half moved, the operation ends cancelled', async () => {
      const [a, b] = (await observedMasters(service, 'a')).sort((x, y) => slotCount(y.slots) - slotCount(x.slots));
      const source = set.nodes.find((n) => n.address === a!.address)!;
      const keysBefore = await countKeys(await masterAddresses());
      // The servers' snapshot waits this long per key, so the job is surely running when the cancel arrives.
      await withNodeClient(source, (c) => c.call('CONFIG', 'SET', 'rdb-key-save-delay', '2000'));
      try {
        const res = await post('/v1/clusters/a/reshard', { to: b!.id, from: [a!.id], slots: 2000 });
        assert.equal(res.status, 202, res.text);
        await eventually(async () => ((await getOp(res.body.id)).steps.find((s) => s.kind === 'move_slots')?.jobs?.[0]?.state === 'running' ? true : undefined), 20_000, 20);
        // The running job is this operation's: another move queues behind it (here, a dry run plans).
        const next = await post('/v1/clusters/a/reshard', { to: a!.id, from: [b!.id], slots: 10, dryRun: true });
        assert.equal(next.status, 200, next.text);
        const cancel = await api().post(`/v1/operations/${res.body.id}/cancel`).set('authorization', AUTH);
        assert.equal(cancel.status, 202, cancel.text);
        const op = await waitForOperation(service.restApp, res.body.id);
        assert.equal(op.status, 'cancelled', JSON.stringify(op));
        const job = op.steps.find((s) => s.kind === 'move_slots')!.jobs![0]!;
        assert.equal(job.state, 'cancelled', JSON.stringify(job));
        assert.ok((await events(op.id)).some((e) => e.type === 'migration_job_cancelled'));
      } finally {
        await withNodeClient(source, (c) => c.call('CONFIG', 'SET', 'rdb-key-save-delay', '0'));
      }
      assert.equal(await countKeys(await masterAddresses()), keysBefore);
      await assertClusterSettled(addresses);
      const masters = await observedMasters(service, 'a');
      const cluster = (await api().get('/v1/clusters/a').set('authorization', AUTH)).body as ClusterView;
      for (const m of masters) assert.deepEqual(cluster.spec.shards.find((s) => s.master === m.address)?.slots, m.slots, 'the spec records what moved');
    });

    test('while a job runs, the keys reaching its target show in its progress: keys moved and remaining, and an ETA', async () => {
      const [a, b] = (await observedMasters(service, 'a')).sort((x, y) => slotCount(y.slots) - slotCount(x.slots));
      const source = set.nodes.find((n) => n.address === a!.address)!;
      // The snapshot waits 1 ms per key: ~1,800 keys take ~2 s, long enough for reads every 0.5 s.
      await withNodeClient(source, (c) => c.call('CONFIG', 'SET', 'rdb-key-save-delay', '1000'));
      try {
        const res = await post('/v1/clusters/a/reshard', { to: b!.id, from: [a!.id], slots: 1500 });
        assert.equal(res.status, 202, res.text);
        const during = await eventually(async () => {
          const op = await getOp(res.body.id);
          const job = op.steps.find((s) => s.kind === 'move_slots')?.jobs?.[0];
          return job?.state === 'running' && (job.keysArrived ?? 0) > 0 && (op.progress.keysMoved ?? 0) > 0 ? { op, job } : undefined;
        }, 30_000, 20);
        assert.ok(during.job.keysArrived! < during.job.keys, `${during.job.keysArrived} of ${during.job.keys} keys arrived while it runs`);
        assert.equal(during.op.progress.keysMoved, during.job.keysArrived, 'the progress counts the keys that arrived');
        assert.equal(during.op.progress.keysRemaining, during.job.keys - during.job.keysArrived!);
        assert.ok((during.op.progress.etaSeconds ?? 0) > 0, JSON.stringify(during.op.progress));
        assert.equal(during.op.progress.slotsMoved, 0, 'slots move when the job hands them over');
        const { percent, stepsDone, stepsTotal } = during.op.progress;
        assert.ok(percent > (100 * stepsDone) / stepsTotal, `the percent follows the keys within the move: ${percent}% after ${stepsDone} of ${stepsTotal} steps`);
        const op = await waitForOperation(service.restApp, res.body.id);
        assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
        const job = op.steps.find((s) => s.kind === 'move_slots')!.jobs![0]!;
        assert.equal(op.progress.keysRemaining, 0);
        assert.equal(op.progress.keysMoved, job.keys, 'a job that succeeded counts all its keys');
        assert.equal(job.keysArrived, null, 'told only while it runs');
        assert.equal(op.progress.slotsMoved, 1500);
      } finally {
        await withNodeClient(source, (c) => c.call('CONFIG', 'SET', 'rdb-key-save-delay', '0'));
      }
      await assertClusterSettled(addresses);
    });

    test('check lists an atomic job started by hand (its keys are not stray); fix, slot moves and a master\'s removal wait for it', async () => {
      const [a, b] = (await observedMasters(service, 'a')).sort((x, y) => slotCount(y.slots) - slotCount(x.slots));
      const source = set.nodes.find((n) => n.address === a!.address)!;
      const target = set.nodes.find((n) => n.address === b!.address)!;
      const [start, end] = a!.slots[0]!;
      await withNodeClient(source, (c) => c.call('CONFIG', 'SET', 'rdb-key-save-delay', '5000'));
      try {
        const id = dialect === 'valkey'
          ? (await withNodeClient(source, (c) => c.call('CLUSTER', 'MIGRATESLOTS', 'SLOTSRANGE', start, end, 'NODE', b!.id)), null)
          : String(await withNodeClient(target, (c) => c.call('CLUSTER', 'MIGRATION', 'IMPORT', start, end)));
        const check = await eventually(async () => {
          const res = await api().get('/v1/clusters/a/check').set('authorization', AUTH);
          return res.body.migrationsInFlight?.length > 0 ? res.body : undefined;
        }, 10_000, 50);
        assert.ok(check.migrationsInFlight.some((m: { address: string; slots: number[][] }) => m.address === a!.address && m.slots[0]![0] === start), JSON.stringify(check.migrationsInFlight));
        assert.deepEqual(check.strayKeys, [], 'the target\'s imported keys are not stray');
        assert.deepEqual(check.openSlots, []);
        const fix = await post('/v1/clusters/a/fix', {});
        assert.equal(fix.status, 409, fix.text);
        assert.equal(fix.body.code, 'atomic_migration_running');
        const opsBefore = (await api().get('/v1/operations?cluster=a').set('authorization', AUTH)).body.operations.length;
        // A plan made from the slot map now would race the job: refused, dry run included, nothing queued.
        for (const [path, body] of [
          ['/v1/clusters/a/reshard', { to: a!.id, from: [b!.id], slots: 10 }],
          ['/v1/clusters/a/rebalance', { dryRun: true }],
        ] as const) {
          const refused = await post(path, body);
          assert.equal(refused.status, 409, `${path}: ${refused.text}`);
          assert.equal(refused.body.code, 'atomic_migration_running');
          assert.match(refused.body.detail, new RegExp(`${start}-${end}`));
        }
        const removal = await api().delete(`/v1/clusters/a/nodes/${encodeURIComponent(b!.address)}?dryRun=true&allowFewerThanThreeMasters=true`).set('authorization', AUTH);
        assert.equal(removal.status, 409, removal.text);
        assert.equal(removal.body.code, 'atomic_migration_running');
        assert.equal((await api().get('/v1/operations?cluster=a').set('authorization', AUTH)).body.operations.length, opsBefore);
        // Cancelled by hand: nothing moved.
        if (dialect === 'valkey') await withNodeClient(source, (c) => c.call('CLUSTER', 'CANCELSLOTMIGRATIONS'));
        else for (const node of [target, source]) await withNodeClient(node, (c) => c.call('CLUSTER', 'MIGRATION', 'CANCEL', 'ID', id!));
        await eventually(async () => ((await api().get('/v1/clusters/a/check').set('authorization', AUTH)).body.migrationsInFlight.length === 0 ? true : undefined), 20_000, 50);
      } finally {
        await withNodeClient(source, (c) => c.call('CONFIG', 'SET', 'rdb-key-save-delay', '0'));
      }
      await eventually(async () => ((await api().get('/v1/clusters/a/check').set('authorization', AUTH)).body.ok ? true : undefined), 20_000, 100);
    });

    test('failover on this server', async () => {
      const cluster = (await api().get('/v1/clusters/a?refresh=true').set('authorization', AUTH)).body as ClusterView;
      const replica = cluster.observed!.nodes.find((n) => n.role === 'replica')!;
      const res = await post('/v1/clusters/a/failover', { replica: replica.address });
      assert.equal(res.status, 202, res.text);
      const op = await waitForOperation(service.restApp, res.body.id);
      assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
      const after = (await api().get('/v1/clusters/a?refresh=true').set('authorization', AUTH)).body as ClusterView;
      assert.equal(after.observed!.nodes.find((n) => n.id === replica.id)!.role, 'master');
      await assertClusterSettled(addresses);
    });
  });
}

describe('"migration": "atomic" on Redis 7.0', () => {
  let service: RunningService;
  let set: RedisNodeSet;
  before(async () => {
    service = await startTestService();
    set = await startRedisNodes(3);
    await createReadyCluster(service, 'old', set, 0);
  });
  after(async () => {
    await service?.stop();
    await set?.stop();
  });

  test('is refused with 409 before anything changes; auto chooses the key engine and says why', async () => {
    const [a, b] = await observedMasters(service, 'old');
    const refused = await request(service.restApp).post('/v1/clusters/old/reshard').set('authorization', AUTH).send({ to: b!.id, from: [a!.id], slots: 100, migration: 'atomic' });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.code, 'atomic_migration_unsupported');
    assert.match(refused.body.detail, /Redis 7\.0/);
    const ops = await request(service.restApp).get('/v1/operations?cluster=old').set('authorization', AUTH);
    assert.equal(ops.body.operations.length, 1, 'only the create');
    const dry = await request(service.restApp).post('/v1/clusters/old/rebalance').set('authorization', AUTH).send({ weights: { [a!.id]: 2 }, dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.body.migration.engine, 'keys');
    assert.match(dry.body.migration.reason, /Redis 7\.0\.\d+, without atomic slot migration/);
    const removal = await request(service.restApp).delete(`/v1/clusters/old/nodes/${encodeURIComponent(a!.address)}?migration=atomic&allowFewerThanThreeMasters=true`).set('authorization', AUTH);
    assert.equal(removal.status, 409, removal.text);
    assert.equal(removal.body.code, 'atomic_migration_unsupported');
  });
});
