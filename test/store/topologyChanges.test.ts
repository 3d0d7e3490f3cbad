import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withNodeAdded, withNodeRemoved } from '../../src/domain/desiredTopology.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { getClusterByName, insertClusterWithOperation, listNodes } from '../../src/store/clusters.ts';
import type { Database } from '../../src/store/database.ts';
import { listEvents } from '../../src/store/events.ts';
import type { ClusterRecord } from '../../src/store/records.ts';
import { assertNoUnfinishedOperation, clusterOfNode, dropNodeFromDesired, insertTopologyChange, recordServedSlots, type TopologyChange } from '../../src/store/topologyChanges.ts';
import { describeEachBackend } from './backends.ts';
import { countRows, newCluster, sampleProgress, sampleSteps } from './fixtures.ts';

const fails = (kind: string, code: string) => (err: unknown) => {
  assert.ok(err instanceof DomainError, String(err));
  assert.equal(err.kind, kind);
  assert.equal(err.code, code);
  return true;
};

/** A cluster whose create operation has finished, so nothing is pending. */
async function idleCluster(db: Database, name: string, addresses: string[]): Promise<ClusterRecord> {
  const { cluster, operation } = await insertClusterWithOperation(db, newCluster(name, addresses));
  await db.prisma.operation.update({ where: { id: operation.id }, data: { status: 'succeeded' } });
  return cluster;
}

function change(cluster: ClusterRecord, spec: ClusterRecord['spec'], refuseWhileBusy = true): TopologyChange {
  return {
    cluster, spec, refuseWhileBusy,
    operation: { kind: 'add_node', steps: sampleSteps(), progress: sampleProgress(), requestedBy: 'tester' },
    event: { type: 'operation_queued', message: 'add' },
  };
}

describeEachBackend('topology changes', (ctx) => {
  test('stores the new spec, the node rows and the queued operation with its event together', async () => {
    const cluster = await idleCluster(ctx.db, 'c1', ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003']);
    const spec = withNodeAdded(cluster.spec, { address: '127.0.0.1:7004', role: 'replica', master: '127.0.0.1:7001' });
    const op = await insertTopologyChange(ctx.db, change(cluster, spec));
    assert.equal(op.status, 'queued');
    assert.equal(op.kind, 'add_node');
    assert.deepEqual((await getClusterByName(ctx.db, 'c1'))!.spec, spec);
    const rows = await listNodes(ctx.db, cluster.id);
    assert.deepEqual(rows.find((r) => r.address === '127.0.0.1:7004'), { clusterId: cluster.id, address: '127.0.0.1:7004', role: 'replica', shardIndex: 0, redisNodeId: null });
    assert.deepEqual((await listEvents(ctx.db, { operationId: op.id }, { pageSize: 10 })).items.map((e) => e.type), ['operation_queued']);
    assert.equal(await clusterOfNode(ctx.db, '127.0.0.1:7004'), 'c1');

    // A failover-like change re-roles rows in place; a removal deletes them.
    const updated = (await getClusterByName(ctx.db, 'c1'))!;
    await ctx.db.prisma.operation.update({ where: { id: op.id }, data: { status: 'succeeded' } });
    const removed = withNodeRemoved(updated.spec, '127.0.0.1:7001', [{ replica: '127.0.0.1:7004', master: '127.0.0.1:7002' }]);
    await insertTopologyChange(ctx.db, change(updated, removed));
    const after = await listNodes(ctx.db, cluster.id);
    assert.deepEqual(after.map((r) => `${r.address} ${r.role} ${r.shardIndex}`).sort(), ['127.0.0.1:7002 master 1', '127.0.0.1:7003 master 2', '127.0.0.1:7004 replica 1']);
    assert.equal(await clusterOfNode(ctx.db, '127.0.0.1:7001'), null);
  });

  test('refuses a change planned against an older spec, and one while another operation is pending', async () => {
    const cluster = await idleCluster(ctx.db, 'c1', ['127.0.0.1:7001', '127.0.0.1:7002']);
    const first = withNodeAdded(cluster.spec, { address: '127.0.0.1:7003', role: 'master' });
    const op = await insertTopologyChange(ctx.db, change(cluster, first, false));
    const before = await countRows(ctx.db);
    // Planned against the spec before `first` was stored: another change won the race.
    await assert.rejects(insertTopologyChange(ctx.db, change(cluster, withNodeAdded(cluster.spec, { address: '127.0.0.1:7009', role: 'master' }), false)), fails('aborted', 'concurrent_change'));
    const current = (await getClusterByName(ctx.db, 'c1'))!;
    await assert.rejects(insertTopologyChange(ctx.db, change(current, withNodeAdded(current.spec, { address: '127.0.0.1:7009', role: 'master' }))), fails('precondition', 'cluster_busy'));
    await assert.rejects(assertNoUnfinishedOperation(ctx.db, current), fails('precondition', 'cluster_busy'));
    assert.deepEqual(await countRows(ctx.db), before, 'nothing was written');
    await ctx.db.prisma.operation.update({ where: { id: op.id }, data: { status: 'failed' } });
    await assertNoUnfinishedOperation(ctx.db, current);
  });

  test('refuses a node of another cluster and writes nothing', async () => {
    await idleCluster(ctx.db, 'other', ['127.0.0.1:7101']);
    const cluster = await idleCluster(ctx.db, 'c1', ['127.0.0.1:7001']);
    const before = await countRows(ctx.db);
    await assert.rejects(insertTopologyChange(ctx.db, change(cluster, withNodeAdded(cluster.spec, { address: '127.0.0.1:7101', role: 'master' }))),
      (err: unknown) => fails('conflict', 'node_in_use')(err) && /cluster "other"/.test((err as Error).message));
    assert.deepEqual(await countRows(ctx.db), before);
    assert.deepEqual((await getClusterByName(ctx.db, 'c1'))!.spec, cluster.spec);
  });

  test('records the served slots against the spec the caller read, and reads it again when it changed meanwhile', async () => {
    const cluster = await idleCluster(ctx.db, 'c1', ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003']);
    const served = (a: number, b: number) => [
      { address: '127.0.0.1:7001', slots: [[0, a]] as [number, number][] },
      { address: '127.0.0.1:7002', slots: [[a + 1, b]] as [number, number][] },
      { address: '127.0.0.1:7003', slots: [[b + 1, 16383]] as [number, number][] },
    ];
    const slotsOf = async () => (await getClusterByName(ctx.db, 'c1'))!.spec.shards.map((s) => s.slots);
    assert.equal(await recordServedSlots(ctx.db, cluster.id, served(5460, 10922), [], cluster.spec), true);
    assert.deepEqual(await slotsOf(), [[[0, 5460]], [[5461, 10922]], [[10923, 16383]]]);
    // The caller's spec is stale now: the conditional update misses, and the spec is read again.
    assert.equal(await recordServedSlots(ctx.db, cluster.id, served(100, 200), [], cluster.spec), true);
    assert.deepEqual(await slotsOf(), [[[0, 100]], [[101, 200]], [[201, 16383]]]);
    assert.equal(await recordServedSlots(ctx.db, cluster.id, served(100, 200), [], cluster.spec), false, 'nothing left to record');
    // The caller's spec already says what is served; the stored one does not: it is still recorded.
    const readNow = (await getClusterByName(ctx.db, 'c1'))!.spec;
    assert.equal(await recordServedSlots(ctx.db, cluster.id, served(300, 400), [], cluster.spec), true);
    assert.equal(await recordServedSlots(ctx.db, cluster.id, served(100, 200), [], { ...readNow, shards: readNow.shards.map((sh) => ({ ...sh })) }), true);
    assert.deepEqual(await slotsOf(), [[[0, 100]], [[101, 200]], [[201, 16383]]]);
    assert.deepEqual((await listNodes(ctx.db, cluster.id)).map((n) => [n.address, n.role, n.shardIndex]),
      [['127.0.0.1:7001', 'master', 0], ['127.0.0.1:7002', 'master', 1], ['127.0.0.1:7003', 'master', 2]]);
  });

  test('drops a node that never joined from the desired topology, once', async () => {
    const cluster = await idleCluster(ctx.db, 'c1', ['127.0.0.1:7001', '127.0.0.1:7002']);
    await insertTopologyChange(ctx.db, change(cluster, withNodeAdded(cluster.spec, { address: '127.0.0.1:7003', role: 'replica', master: '127.0.0.1:7002' })));
    assert.equal(await dropNodeFromDesired(ctx.db, cluster.id, '127.0.0.1:7003'), true);
    assert.deepEqual((await getClusterByName(ctx.db, 'c1'))!.spec, cluster.spec);
    assert.deepEqual((await listNodes(ctx.db, cluster.id)).map((r) => r.address), ['127.0.0.1:7001', '127.0.0.1:7002']);
    assert.equal(await dropNodeFromDesired(ctx.db, cluster.id, '127.0.0.1:7003'), false);
  });
});
