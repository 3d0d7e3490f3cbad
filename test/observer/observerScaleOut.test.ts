import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestDatabase } from '../store/backends.ts';
import { eventually } from '../helpers/eventually.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { createPostgresDatabase, isFinal, startServiceProcess, waitForOperationState, type ServiceProcess } from '../helpers/serviceProcess.ts';
import { openEventStream } from '../helpers/sseClient.ts';
import { AUTH } from '../helpers/testService.ts';

const CLUSTERS = ['left', 'right'] as const;

/**
 * Scaled out on PostgreSQL: two observer processes share the clusters, each cluster watched by
 * one of them; one is killed and the other takes its clusters over. Events the observers write
 * reach a stream served by a third process.
 */
describe('observers scaled out on one PostgreSQL', () => {
  let database: TestDatabase;
  const sets: RedisNodeSet[] = [];
  let api: ServiceProcess;
  const observers = new Map<string, ServiceProcess>();

  before(async () => {
    database = await createPostgresDatabase();
    for (const _ of CLUSTERS) sets.push(await startRedisNodes(3));
    const env = { OBSERVE_INTERVAL_SECONDS: '1' };
    // One at a time, so a process that fails to start leaves the others known to `after`.
    api = await startServiceProcess({ databaseUrl: database.url!, workerId: 'api', roles: 'rest,worker', env });
    for (const id of ['observer-a', 'observer-b']) observers.set(id, await startServiceProcess({ databaseUrl: database.url!, workerId: id, roles: 'observer', env }));
  });
  after(async () => {
    await Promise.all([api, ...observers.values()].map((s) => s?.stop()));
    await Promise.all(sets.map((s) => s.stop()));
    await database?.dispose();
  });

  const leases = async () => new Map((await database.db.query<{ name: string; owner: string }>(
    `SELECT c.name, l.owner FROM observer_leases AS l JOIN clusters AS c ON c.id = l.cluster_id WHERE l.expires_at > now()`)).map((r) => [r.name, r.owner]));
  const observedAt = async (name: string) => (await database.db.query<{ at: Date }>(
    'SELECT o.observed_at AS at FROM cluster_observations AS o JOIN clusters AS c ON c.id = o.cluster_id WHERE c.name = $1', [name]))[0]?.at.getTime() ?? 0;

  test('each cluster has one observer; a killed observer\'s clusters are taken over; events reach streams of other processes', async () => {
    for (const [i, name] of CLUSTERS.entries()) {
      const created = await api.api('POST', '/v1/clusters', { name, nodes: sets[i]!.nodes.map((n) => n.address), replicasPerShard: 0 });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      assert.equal((await waitForOperationState(api, created.body.id, isFinal, { what: 'a final status' })).status, 'succeeded');
    }
    const owners = await eventually(async () => {
      const held = await leases();
      return CLUSTERS.every((c) => held.has(c)) ? held : undefined;
    }, 15_000);
    // While both live, each keeps what it holds: no cluster changes hands, and each is observed.
    for (let look = 0; look < 4; look += 1) {
      const at = await Promise.all(CLUSTERS.map(observedAt));
      await eventually(async () => ((await Promise.all(CLUSTERS.map(observedAt))).every((t, i) => t > at[i]!) ? true : undefined), 10_000);
      assert.deepEqual(await leases(), owners, 'ownership is stable while both observers live');
    }

    const victim = owners.get('left')!;
    const survivor = [...observers.keys()].find((o) => o !== victim)!;
    const stream = await openEventStream(`${api.baseUrl}/v1/events?cluster=left`, AUTH);
    await observers.get(victim)!.kill('SIGKILL');
    const killedAt = Date.now();
    const taken = await eventually(async () => ((await leases()).get('left') === survivor ? Date.now() : undefined), 15_000, 100);
    const after = taken;
    await eventually(async () => ((await observedAt('left')) > after ? true : undefined), 10_000);
    console.log(`# lease of "left" taken over ${taken - killedAt} ms after its observer was killed (interval 1000 ms)`);

    // The survivor's findings reach the stream that the API process serves.
    const node = sets[0]!.nodes[1]!;
    await sets[0]!.kill(node);
    const [event] = await stream.waitFor(1, 15_000);
    stream.close();
    assert.equal(event!.event, 'node_unreachable');
    assert.deepEqual(event!.data.nodes, [node.address]);
  });
});
