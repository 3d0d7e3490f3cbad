import assert from 'node:assert/strict';
import request from 'supertest';
import { rangesToSlots } from '../../src/domain/slotSet.ts';
import { observeCluster } from '../../src/redis/observeCluster.ts';
import type { RunningService } from '../../src/startService.ts';
import type { ClusterView } from '../../src/contract/clusterView.ts';
import { waitForOperation } from './operations.ts';
import type { RedisNodeSet } from './redisNodes.ts';
import { AUTH } from './testService.ts';

/** Creates a cluster through the API on the given nodes and waits until it is ready. */
export async function createReadyCluster(service: RunningService, name: string, set: RedisNodeSet, replicasPerShard: number, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await request(service.restApp).post('/v1/clusters').set('authorization', AUTH)
    .send({ name, nodes: set.nodes.map((n) => n.address), replicasPerShard, ...extra });
  assert.equal(res.status, 202, res.text);
  const op = await waitForOperation(service.restApp, res.body.id);
  assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
}

/** The cluster as GET /v1/clusters/{name} shows it, masters sorted by their first slot. */
export async function observedMasters(service: RunningService, name: string): Promise<ClusterView['observed'] extends infer O ? O extends { nodes: infer N } ? N : never : never> {
  const res = await request(service.restApp).get(`/v1/clusters/${name}`).set('authorization', AUTH);
  assert.equal(res.status, 200, res.text);
  const cluster = res.body as ClusterView;
  return cluster.observed!.nodes.filter((n) => n.role === 'master').sort((a, b) => (a.slots[0]?.[0] ?? 99999) - (b.slots[0]?.[0] ?? 99999)) as never;
}

export function slotCount(slots: readonly (readonly [number, number])[]): number {
  return slots.reduce((n, [s, e]) => n + e - s + 1, 0);
}

/** Slot -> owner id, each master as it reports itself (never the database). */
export async function ownersFromNodes(addresses: readonly string[]): Promise<string[]> {
  const { nodes, unreachable } = await observeCluster(addresses);
  assert.deepEqual(unreachable, []);
  const owners = new Array<string>(16384).fill('');
  for (const n of nodes) {
    if (!n.myself || n.role !== 'master') continue;
    for (const slot of rangesToSlots(n.slots)) owners[slot] = n.id;
  }
  return owners;
}
