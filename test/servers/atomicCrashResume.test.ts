import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClusterView } from '../../src/contract/clusterView.ts';
import type { OperationView } from '../../src/contract/operationView.ts';
import { listAtomicJobs } from '../../src/redis/atomicMigration.ts';
import { assertClusterSettled } from '../helpers/clusterCheck.ts';
import { slotCount } from '../helpers/clusters.ts';
import { countKeys, loadKeys } from '../helpers/keys.ts';
import { startRedisNodes, withNodeClient, type RedisNodeSet, type TestServer } from '../helpers/redisNodes.ts';
import { claimsOf, createDataDir, isFinal, operationEvents, startServiceProcess, waitForOperationState, type ServiceProcess } from '../helpers/serviceProcess.ts';

const KEYS = 15_000;

/** The ids of the jobs a node lists (Valkey: its exports; Redis: its imports). */
async function jobIds(address: string, dialect: 'valkey' | 'redis'): Promise<string[]> {
  const [host, port] = address.split(':');
  const tracked = dialect === 'valkey' ? 'export' : 'import';
  return withNodeClient({ host: host!, port: Number(port) }, async (c) => (await listAtomicJobs(dialect, c)).filter((j) => j.direction === tracked).map((j) => j.id));
}

for (const { server, dialect } of [{ server: 'valkey9', dialect: 'valkey' }, { server: 'redis8', dialect: 'redis' }] as const satisfies readonly { server: TestServer; dialect: string }[]) {
  describe(`a reshard survives SIGKILL of its service on ${server}, atomic and key by key`, () => {
    let set: RedisNodeSet;
    let data: { dir: string; dispose(): Promise<void> };
    const services: ServiceProcess[] = [];
    before(async () => {
      set = await startRedisNodes(3, { server });
      data = await createDataDir();
    });
    after(async () => {
      await Promise.all(services.map((s) => s.stop()));
      await set?.stop();
      await data?.dispose();
    });
    const start = async (workerId: string) => {
      const svc = await startServiceProcess({ dataDir: data.dir, workerId, leaseSeconds: 3 });
      services.push(svc);
      return svc;
    };

    test('killed while its job runs, restarted: the job is adopted, not started twice; nothing lost, nothing open', async (t) => {
      const addresses = set.nodes.map((n) => n.address);
      const first = await start(`${server}-1`);
      const created = await first.api('POST', '/v1/clusters', { name: 'c', nodes: addresses, replicasPerShard: 0 });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      assert.equal((await waitForOperationState(first, created.body.id, isFinal, { what: 'created' })).status, 'succeeded');
      const masters = (await first.api<ClusterView>('GET', '/v1/clusters/c?refresh=true')).body.observed!.nodes.sort((a, b) => a.slots[0]![0] - b.slots[0]![0]);
      await loadKeys(masters, KEYS, 64);
      const [a, b] = masters;
      const source = set.nodes.find((n) => n.address === a!.address)!;
      const target = b!.address;
      // The job waits this long per key while it snapshots, so it is surely running when the service dies.
      await withNodeClient(source, (c) => c.call('CONFIG', 'SET', 'rdb-key-save-delay', '600'));
      const jobsBefore = await jobIds(dialect === 'valkey' ? a!.address : target, dialect);

      const queued = await first.api<OperationView>('POST', '/v1/clusters/c/reshard', { to: b!.id, from: [a!.id], slots: slotCount(a!.slots) - 100, migration: 'atomic' });
      assert.equal(queued.status, 202, JSON.stringify(queued.body));
      const id = queued.body.id;
      const running = await waitForOperationState(first, id, (op) => {
        if (isFinal(op)) throw new Error(`ended (${op.status}) before it could be killed`);
        return op.steps.find((s) => s.kind === 'move_slots')?.jobs?.some((j) => j.state === 'running') ?? false;
      }, { what: 'a running job' });
      const jobId = running.steps.find((s) => s.kind === 'move_slots')!.jobs![0]!.id;
      assert.equal((await first.kill('SIGKILL')).signal, 'SIGKILL');
      const listed = (await jobIds(dialect === 'valkey' ? a!.address : target, dialect)).filter((j) => !jobsBefore.includes(j));
      assert.deepEqual(listed, [jobId], 'the job runs on in the servers without slotsmith');
      await withNodeClient(source, (c) => c.call('CONFIG', 'SET', 'rdb-key-save-delay', '0'));

      const second = await start(`${server}-2`);
      const done = await waitForOperationState(second, id, isFinal, { what: 'a final status' });
      assert.equal(done.status, 'succeeded', `${JSON.stringify(done.error)}\n${second.output().slice(-2000)}`);
      const move = done.steps.find((s) => s.kind === 'move_slots')!;
      t.diagnostic(`after the restart: ${move.detail}`);
      assert.deepEqual(move.jobs!.map((j) => [j.id, j.state]), [[jobId, 'succeeded']], 'the same job, adopted');
      const events = await operationEvents(second, id);
      assert.equal(events.filter((e) => e.type === 'migration_job_started').length, 1, 'no job started twice');
      assert.deepEqual(claimsOf(events).map((c) => c.type), ['operation_started', 'operation_resumed']);
      const after = (await jobIds(dialect === 'valkey' ? a!.address : target, dialect)).filter((j) => !jobsBefore.includes(j));
      assert.deepEqual(after, [jobId], 'the servers ran one job');
      assert.equal(await countKeys(addresses), KEYS);
      await assertClusterSettled(addresses);
      const cluster = (await second.api<ClusterView>('GET', '/v1/clusters/c?refresh=true')).body;
      const movedTo = cluster.observed!.nodes.find((n) => n.id === b!.id)!;
      assert.equal(slotCount(movedTo.slots), slotCount(b!.slots) + slotCount(a!.slots) - 100);
      assert.deepEqual(cluster.spec.shards.find((s) => s.master === movedTo.address)?.slots, movedTo.slots);
    });

    test('the key engine, forced: killed mid-move, restarted: the same operation completes; nothing lost, nothing open', async () => {
      const addresses = set.nodes.map((n) => n.address);
      const first = services.at(-1)!;
      const masters = (await first.api<ClusterView>('GET', '/v1/clusters/c?refresh=true')).body.observed!.nodes
        .filter((n) => n.role === 'master').sort((x, y) => slotCount(y.slots) - slotCount(x.slots));
      const [from, to] = [masters[0]!, masters.at(-1)!];
      const SLOTS = 4000;
      // Throttled, so that the move lasts seconds (~3,700 keys at 1,500 keys/s): the kill lands mid-way.
      const queued = await first.api<OperationView>('POST', '/v1/clusters/c/reshard', { to: to.id, from: [from.id], slots: SLOTS, migration: 'keys', maxKeysPerSecond: 1500 });
      assert.equal(queued.status, 202, JSON.stringify(queued.body));
      const id = queued.body.id;
      await waitForOperationState(first, id, (op) => {
        if (isFinal(op)) throw new Error(`ended (${op.status}) before it could be killed`);
        const moved = op.progress.slotsMoved ?? 0;
        return moved > 0 && moved < SLOTS * 0.6;
      }, { what: 'some but not most slots moved' });
      assert.equal((await first.kill('SIGKILL')).signal, 'SIGKILL');

      const second = await start(`${server}-keys`);
      const done = await waitForOperationState(second, id, isFinal, { what: 'a final status' });
      assert.equal(done.status, 'succeeded', `${JSON.stringify(done.error)}\n${second.output().slice(-2000)}`);
      assert.equal(done.progress.slotsMoved, SLOTS);
      assert.equal(done.steps.find((s) => s.kind === 'move_slots')!.jobs, undefined, 'key by key: no job');
      assert.deepEqual(claimsOf(await operationEvents(second, id)).map((c) => c.type), ['operation_started', 'operation_resumed']);
      assert.equal(await countKeys(addresses), KEYS);
      await assertClusterSettled(addresses);
      const cluster = (await second.api<ClusterView>('GET', '/v1/clusters/c?refresh=true')).body;
      assert.equal(slotCount(cluster.observed!.nodes.find((n) => n.id === to.id)!.slots), slotCount(to.slots) + SLOTS);
      for (const m of cluster.observed!.nodes.filter((n) => n.role === 'master')) {
        assert.deepEqual(cluster.spec.shards.find((s) => s.master === m.address)?.slots, m.slots, 'the spec records what moved');
      }
    });
  });
}
