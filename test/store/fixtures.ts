import type { Progress, Step } from '../../src/domain/operation.ts';
import type { NewCluster } from '../../src/store/clusters.ts';
import type { Database } from '../../src/store/database.ts';
import { toJson } from '../../src/store/values.ts';

/** A plan of three steps with nested params and outputs, to prove JSON round-trips unchanged. */
export function sampleSteps(): Step[] {
  return [
    {
      id: 's1', kind: 'check_nodes', title: 'Check nodes', params: { nodes: ['127.0.0.1:7001'] },
      status: 'pending', startedAt: null, finishedAt: null, detail: null, outputs: null,
    },
    {
      id: 's2', kind: 'assign_slots', title: 'Assign slots', params: { assignments: [{ node: '127.0.0.1:7001', slots: [[0, 16383]] }] },
      status: 'pending', startedAt: null, finishedAt: null, detail: null, outputs: null,
    },
    {
      id: 's3', kind: 'tune_nodes', title: 'Tune', params: { nodes: ['127.0.0.1:7001'], settings: { 'cluster-node-timeout': '500' } },
      status: 'succeeded', startedAt: null, finishedAt: null, detail: 'tuned', outputs: { originals: { '127.0.0.1:7001': { 'cluster-node-timeout': '15000' } } },
    },
  ];
}

export function sampleProgress(): Progress {
  return { percent: 0, stepsDone: 0, stepsTotal: 3, currentStep: null };
}

/** A create request for cluster `name` with one master per address (ports are just labels here). */
export function newCluster(name: string, addresses: readonly string[]): NewCluster {
  return {
    name,
    spec: {
      nodes: [...addresses],
      replicasPerShard: 0,
      shards: addresses.map((master, index) => ({ index, master, replicas: [], slots: [] })),
    },
    auth: { password: 'secret' },
    nodes: addresses.map((address, shardIndex) => ({ address, role: 'master' as const, shardIndex })),
    operation: { kind: 'create_cluster', steps: sampleSteps(), progress: sampleProgress(), requestedBy: 'tester' },
    event: { type: 'operation_queued', message: `create ${name}`, data: { nodes: addresses.length } },
  };
}

/** Queues one more operation on an existing cluster (the repositories only create a cluster's first one). */
export async function queueOperation(db: Database, clusterId: string, clusterName: string): Promise<string> {
  const row = await db.prisma.operation.create({
    data: {
      clusterId, clusterName, kind: 'create_cluster', status: 'queued',
      steps: toJson(sampleSteps()), progress: toJson(sampleProgress()),
    },
  });
  return row.id;
}

/** Makes the lease of an operation run out now, as if its worker had died long ago. */
export async function expireLease(db: Database, operationId: string): Promise<void> {
  await db.query(`UPDATE operations SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [operationId]);
}

/** Row counts of every table, to prove that a failed write left nothing behind. */
export async function countRows(db: Database): Promise<Record<string, number>> {
  const rows = await db.query<{ t: string; n: number }>(
    `SELECT 'clusters' AS t, count(*)::int AS n FROM clusters
     UNION ALL SELECT 'nodes', count(*)::int FROM nodes
     UNION ALL SELECT 'operations', count(*)::int FROM operations
     UNION ALL SELECT 'operation_events', count(*)::int FROM operation_events`,
  );
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}
