import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '../../src/domain/errors.ts';
import {
  getClusterByName, insertClusterWithOperation, listClusters, listNodes, setClusterPhase, setRedisNodeIds,
} from '../../src/store/clusters.ts';
import { listEvents } from '../../src/store/events.ts';
import { encodePageToken } from '../../src/store/pageToken.ts';
import { describeEachBackend } from './backends.ts';
import { countRows, newCluster, sampleProgress, sampleSteps } from './fixtures.ts';

function isConflict(code: string, pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof DomainError, `expected a DomainError, got ${String(err)}`);
    assert.equal(err.kind, 'conflict');
    assert.equal(err.code, code);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

describeEachBackend('clusters', (ctx) => {
  test('creates cluster, nodes, queued operation and first event together', async () => {
    const input = newCluster('c1', ['127.0.0.1:7001', '127.0.0.1:7002']);
    const { cluster, operation } = await insertClusterWithOperation(ctx.db, input);

    assert.equal(cluster.name, 'c1');
    assert.equal(cluster.phase, 'creating');
    assert.deepEqual(cluster.spec, input.spec);
    assert.deepEqual(cluster.auth, { password: 'secret' });
    assert.ok(cluster.createdAt instanceof Date);
    assert.equal(operation.clusterId, cluster.id);
    assert.equal(operation.clusterName, 'c1');
    assert.equal(operation.status, 'queued');
    assert.equal(operation.attempts, 0);
    assert.equal(operation.lockedBy, null);
    assert.equal(operation.requestedBy, 'tester');
    assert.deepEqual(operation.steps, sampleSteps());
    assert.deepEqual(operation.progress, sampleProgress());

    assert.deepEqual(await getClusterByName(ctx.db, 'c1'), cluster);
    const nodes = await listNodes(ctx.db, cluster.id);
    assert.deepEqual(nodes.map((n) => [n.address, n.role, n.shardIndex, n.redisNodeId]), [
      ['127.0.0.1:7001', 'master', 0, null],
      ['127.0.0.1:7002', 'master', 1, null],
    ]);
    const events = await listEvents(ctx.db, { operationId: operation.id }, { pageSize: 10 });
    assert.deepEqual(events.items.map((e) => [e.type, e.message, e.data]), [
      ['operation_queued', 'create c1', { nodes: 2 }],
    ]);
  });

  test('stores null auth as null', async () => {
    const { cluster } = await insertClusterWithOperation(ctx.db, { ...newCluster('c1', ['h:1']), auth: null });
    assert.equal(cluster.auth, null);
    assert.equal((await getClusterByName(ctx.db, 'c1'))?.auth, null);
  });

  test('a taken name is a conflict and leaves nothing behind', async () => {
    await insertClusterWithOperation(ctx.db, newCluster('c1', ['h:1']));
    const before = await countRows(ctx.db);
    await assert.rejects(insertClusterWithOperation(ctx.db, newCluster('c1', ['h:2'])), isConflict('cluster_exists', /c1/));
    assert.deepEqual(await countRows(ctx.db), before);
  });

  test('a node of another cluster is a conflict naming the address and the cluster', async () => {
    await insertClusterWithOperation(ctx.db, newCluster('c1', ['h:1', 'h:2']));
    const before = await countRows(ctx.db);
    await assert.rejects(
      insertClusterWithOperation(ctx.db, newCluster('c2', ['h:3', 'h:2'])),
      isConflict('node_in_use', /h:2 \(cluster "c1"\)/),
    );
    assert.deepEqual(await countRows(ctx.db), before);
    assert.equal(await getClusterByName(ctx.db, 'c2'), null);
  });

  test('a unique violation halfway through the transaction rolls everything back', async () => {
    // The same address twice passes the up-front check and fails on the second node insert.
    await assert.rejects(insertClusterWithOperation(ctx.db, newCluster('c1', ['h:1', 'h:1'])));
    assert.deepEqual(await countRows(ctx.db), { clusters: 0, nodes: 0, operations: 0, operation_events: 0 });
  });

  test('racing creates of one name: one wins, the others get cluster_exists', async () => {
    const attempts = [1, 2, 3, 4].map((i) => insertClusterWithOperation(ctx.db, newCluster('race', [`h:${i}`])));
    const results = await Promise.allSettled(attempts);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) {
      if (r.status === 'rejected') isConflict('cluster_exists')(r.reason);
    }
    assert.deepEqual(await countRows(ctx.db), { clusters: 1, nodes: 1, operations: 1, operation_events: 1 });
  });

  test('racing creates sharing a node: one wins, the others get node_in_use', async () => {
    const attempts = [1, 2, 3].map((i) => insertClusterWithOperation(ctx.db, newCluster(`c${i}`, ['shared:1', `own:${i}`])));
    const results = await Promise.allSettled(attempts);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) {
      if (r.status === 'rejected') isConflict('node_in_use', /shared:1/)(r.reason);
    }
    assert.equal((await countRows(ctx.db))['nodes'], 2);
  });

  test('lists clusters by name, page by page', async () => {
    const names = ['delta', 'alpha', 'echo', 'charlie', 'bravo'];
    for (const [i, name] of names.entries()) await insertClusterWithOperation(ctx.db, newCluster(name, [`h:${i}`]));
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const page = await listClusters(ctx.db, { pageSize: 2, pageToken: token });
      seen.push(...page.items.map((c) => c.name));
      token = page.nextPageToken;
      pages++;
    } while (token !== null);
    assert.deepEqual(seen, [...names].sort());
    assert.equal(pages, 3);
    const all = await listClusters(ctx.db, { pageSize: 5 });
    assert.equal(all.nextPageToken, null, 'an exactly full last page has no next token');
  });

  test('an invalid page token is the caller’s error', async () => {
    for (const pageToken of ['not-a-token', encodePageToken({ id: 'x' }), Buffer.from('[1]').toString('base64url')]) {
      await assert.rejects(listClusters(ctx.db, { pageSize: 2, pageToken }), (err: unknown) => {
        assert.ok(err instanceof DomainError);
        assert.equal(err.kind, 'invalid');
        assert.equal(err.code, 'invalid_page_token');
        return true;
      });
    }
  });

  test('sets the phase and the Redis node ids', async () => {
    const { cluster } = await insertClusterWithOperation(ctx.db, newCluster('c1', ['h:1', 'h:2']));
    await setClusterPhase(ctx.db, cluster.id, 'ready');
    const updated = await getClusterByName(ctx.db, 'c1');
    assert.equal(updated?.phase, 'ready');
    assert.ok(updated && updated.updatedAt.getTime() >= cluster.updatedAt.getTime());

    await setRedisNodeIds(ctx.db, cluster.id, { 'h:1': 'a'.repeat(40), 'other:9': 'b'.repeat(40) });
    const nodes = await listNodes(ctx.db, cluster.id);
    assert.deepEqual(nodes.map((n) => n.redisNodeId), ['a'.repeat(40), null]);
  });

  test('an unknown cluster reads as null', async () => {
    assert.equal(await getClusterByName(ctx.db, 'nope'), null);
  });
});
