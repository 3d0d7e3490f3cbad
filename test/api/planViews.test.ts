import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { parse } from 'yaml';
import type { ClusterView } from '../../src/contract/clusterView.ts';
import type { RunningService } from '../../src/startService.ts';
import { createReadyCluster } from '../helpers/clusters.ts';
import { call, grpcClients, type GrpcClients } from '../helpers/grpcClient.ts';
import { loadKeys } from '../helpers/keys.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';
import { AUTH, startTestService } from '../helpers/testService.ts';

interface Schema { required?: string[]; properties?: Record<string, Schema & { items?: Schema; $ref?: string }> }

/** The required fields of openapi.yaml's Plan schema, and of its list items. */
async function planSchema(): Promise<{ plan: string[]; move: string[]; replica: string[]; resolution: string[] }> {
  const spec = parse(await readFile(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as { components: { schemas: { Plan: Schema } } };
  const props = spec.components.schemas.Plan.properties!;
  return {
    plan: [...spec.components.schemas.Plan.required!].sort(),
    move: [...props.moves!.items!.required!].sort(),
    replica: [...props.replicas!.items!.required!].sort(),
    resolution: [...props.resolutions!.items!.required!].sort(),
  };
}

/**
 * Every dry run answers one plan shape: over REST the fields of openapi.yaml's Plan schema, over
 * gRPC the Plan message with the same content.
 */
describe('every dry run answers the same Plan, over REST and gRPC', () => {
  let service: RunningService;
  let clients: GrpcClients;
  let set: RedisNodeSet;
  let schema: Awaited<ReturnType<typeof planSchema>>;
  let masters: ClusterView['observed'] extends infer O ? O extends { nodes: infer N } ? N : never : never;
  let replicas: typeof masters;

  before(async () => {
    service = await startTestService();
    clients = grpcClients(service.grpcPort!);
    set = await startRedisNodes(7);
    await createReadyCluster(service, 'pv', { nodes: set.nodes.slice(0, 6) } as RedisNodeSet, 1);
    const res = await request(service.restApp).get('/v1/clusters/pv').set('authorization', AUTH);
    const nodes = (res.body as ClusterView).observed!.nodes;
    masters = nodes.filter((n) => n.role === 'master').sort((a, b) => a.slots[0]![0] - b.slots[0]![0]);
    replicas = nodes.filter((n) => n.role === 'replica');
    await loadKeys(masters, 2_000, 16);
    schema = await planSchema();
  });
  after(async () => {
    clients.close();
    await service.stop();
    await set.stop();
  });

  /** Each dry run: its REST request and its gRPC call, with the kind both must answer. */
  const calls = () => {
    const replica = replicas[0]!;
    const other = masters.find((m) => m.id !== replica.masterId)!;
    const spare = set.nodes[6]!.address;
    const fresh = ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'];
    return [
      { kind: 'create_cluster', rest: { method: 'post', path: '/v1/clusters', body: { name: 'pv2', nodes: fresh, replicasPerShard: 0, dryRun: true } },
        grpc: ['planCluster', { name: 'pv2', nodes: fresh, replicasPerShard: 0 }] },
      { kind: 'reshard', rest: { method: 'post', path: '/v1/clusters/pv/reshard', body: { to: masters[1]!.address, from: [masters[0]!.address], slots: 10, dryRun: true } },
        grpc: ['reshard', { cluster: 'pv', to: masters[1]!.address, from: [masters[0]!.address], slots: 10, dryRun: true }] },
      { kind: 'rebalance', rest: { method: 'post', path: '/v1/clusters/pv/rebalance', body: { weights: { [masters[0]!.id]: 2 }, dryRun: true } },
        grpc: ['rebalance', { cluster: 'pv', weights: { [masters[0]!.id]: 2 }, dryRun: true }] },
      { kind: 'add_node', rest: { method: 'post', path: '/v1/clusters/pv/nodes', body: { address: spare, role: 'replica', master: masters[2]!.address, dryRun: true } },
        grpc: ['addNode', { cluster: 'pv', address: spare, role: 'replica', master: masters[2]!.address, dryRun: true }] },
      { kind: 'remove_node', rest: { method: 'delete', path: `/v1/clusters/pv/nodes/${encodeURIComponent(masters[0]!.address)}?dryRun=true&allowFewerThanThreeMasters=true` },
        grpc: ['removeNode', { cluster: 'pv', node: masters[0]!.address, dryRun: true, allowFewerThanThreeMasters: true }] },
      { kind: 'move_replica', rest: { method: 'post', path: '/v1/clusters/pv/replicas', body: { replica: replica.address, master: other.address, force: true, dryRun: true } },
        grpc: ['moveReplica', { cluster: 'pv', replica: replica.address, master: other.address, force: true, dryRun: true }] },
      { kind: 'failover', rest: { method: 'post', path: '/v1/clusters/pv/failover', body: { replica: replica.address, dryRun: true } },
        grpc: ['failover', { cluster: 'pv', replica: replica.address, dryRun: true }] },
      { kind: 'fix', rest: { method: 'post', path: '/v1/clusters/pv/fix', body: { dryRun: true } },
        grpc: ['fixCluster', { cluster: 'pv', dryRun: true }] },
    ] as const;
  };

  test('REST: every dry run has exactly the fields of the Plan schema', async () => {
    for (const c of calls()) {
      const req = request(service.restApp)[c.rest.method](c.rest.path).set('authorization', AUTH);
      const res = 'body' in c.rest ? await req.send(c.rest.body) : await req;
      assert.equal(res.status, 200, `${c.kind}: ${res.text}`);
      assert.deepEqual(Object.keys(res.body).sort(), schema.plan, c.kind);
      assert.equal(res.body.kind, c.kind);
      assert.equal(res.body.dryRun, true);
      assert.ok(res.body.summary.length > 0, `${c.kind} has a summary`);
      for (const m of res.body.moves) assert.deepEqual(Object.keys(m).sort(), schema.move, `${c.kind} move`);
      for (const r of res.body.replicas) assert.deepEqual(Object.keys(r).sort(), schema.replica, `${c.kind} replica`);
      for (const r of res.body.resolutions) assert.deepEqual(Object.keys(r).sort(), schema.resolution, `${c.kind} resolution`);
      assert.equal(res.body.slotsTotal, res.body.moves.reduce((n: number, m: { slotCount: number }) => n + m.slotCount, 0));
      assert.equal(res.body.keysTotal, res.body.moves.reduce((n: number, m: { keys: number }) => n + m.keys, 0));
    }
  });

  test('gRPC: every dry run answers the Plan message with the same content as REST', async () => {
    for (const c of calls()) {
      const req = request(service.restApp)[c.rest.method](c.rest.path).set('authorization', AUTH);
      const rest = ('body' in c.rest ? await req.send(c.rest.body) : await req).body;
      const [method, body] = c.grpc;
      const reply = await call(clients.clusters, method, body);
      const plan = method === 'planCluster' ? reply : reply.plan;
      assert.ok(plan, `${c.kind}: a plan, not an operation`);
      assert.equal(reply.operation, undefined);
      assert.equal(plan.kind, c.kind);
      assert.equal(plan.cluster, rest.cluster);
      assert.equal(plan.summary, rest.summary, c.kind);
      assert.deepEqual((plan.steps ?? []).map((s: { kind: string }) => s.kind), rest.steps.map((s: { kind: string }) => s.kind), c.kind);
      assert.equal(plan.slotsTotal ?? 0, rest.slotsTotal);
      assert.equal(plan.keysTotal ?? 0, rest.keysTotal, `${c.kind} keys`);
      assert.equal((plan.moves ?? []).length, rest.moves.length);
      assert.equal((plan.replicas ?? []).length, rest.replicas.length);
      assert.equal((plan.shards ?? []).length, rest.shards.length);
    }
  });
});
