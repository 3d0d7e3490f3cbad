import assert from 'node:assert/strict';
import { test } from 'node:test';
import { insertClusterWithOperation } from '../../src/store/clusters.ts';
import { appendEvent, listEvents } from '../../src/store/events.ts';
import { encodePageToken } from '../../src/store/pageToken.ts';
import { describeEachBackend } from './backends.ts';
import { newCluster } from './fixtures.ts';

describeEachBackend('events', (ctx) => {
  test('appends events and lists them oldest first, page by page', async () => {
    const { operation } = await insertClusterWithOperation(ctx.db, newCluster('c1', ['h:1']));
    const { operation: other } = await insertClusterWithOperation(ctx.db, newCluster('c2', ['h:2']));
    const appended = [];
    for (let i = 0; i < 5; i++) {
      appended.push(await appendEvent(ctx.db, { operationId: operation.id, clusterName: 'c1', type: 'step', message: `m${i}`, data: { i } }));
      await appendEvent(ctx.db, { operationId: other.id, clusterName: 'c2', type: 'noise', message: 'other operation' });
    }
    const first = appended[0];
    assert.ok(first);
    assert.equal(typeof first.id, 'string');
    assert.match(first.id, /^\d+$/);
    assert.ok(first.at instanceof Date);
    assert.deepEqual(first.data, { i: 0 });

    const seen = [];
    let token: string | null = null;
    do {
      const page = await listEvents(ctx.db, { operationId: operation.id }, { pageSize: 2, pageToken: token });
      seen.push(...page.items);
      token = page.nextPageToken;
    } while (token !== null);
    // The queued event written at creation comes first.
    assert.deepEqual(seen.map((e) => e.message), ['create c1', 'm0', 'm1', 'm2', 'm3', 'm4']);
    assert.deepEqual(seen.slice(1), appended);
  });

  test('an event without data stores null', async () => {
    const { operation } = await insertClusterWithOperation(ctx.db, newCluster('c1', ['h:1']));
    const event = await appendEvent(ctx.db, { operationId: operation.id, clusterName: 'c1', type: 't', message: 'm' });
    assert.equal(event.data, null);
    assert.equal(event.nodes, null);
  });

  test('cluster events have no operation; the log filters by cluster, type and a resume point', async () => {
    await insertClusterWithOperation(ctx.db, newCluster('c1', ['h:1']));
    const failed = await appendEvent(ctx.db, { clusterName: 'c1', type: 'node_failed', message: 'h:1 failed', nodes: ['h:1'], data: { id: 'x' } });
    assert.equal(failed.operationId, null);
    assert.deepEqual(failed.nodes, ['h:1']);
    await appendEvent(ctx.db, { clusterName: 'c2', type: 'node_failed', message: 'other cluster' });
    const ok = await appendEvent(ctx.db, { clusterName: 'c1', type: 'cluster_state_ok', message: 'c1 is ok again' });
    const byCluster = await listEvents(ctx.db, { clusterName: 'c1' }, { pageSize: 10 });
    assert.deepEqual(byCluster.items.map((e) => e.type), ['operation_queued', 'node_failed', 'cluster_state_ok']);
    assert.deepEqual((await listEvents(ctx.db, { types: ['node_failed'] }, { pageSize: 10 })).items.map((e) => e.clusterName), ['c1', 'c2']);
    assert.deepEqual((await listEvents(ctx.db, { clusterName: 'c1', afterId: failed.id }, { pageSize: 10 })).items.map((e) => e.id), [ok.id]);
  });

  test('an unknown or malformed operation has no events; a bad token is refused', async () => {
    assert.deepEqual(await listEvents(ctx.db, { operationId: 'nope' }, { pageSize: 5 }), { items: [], nextPageToken: null });
    assert.deepEqual(
      await listEvents(ctx.db, { operationId: '00000000-0000-4000-8000-000000000000' }, { pageSize: 5 }),
      { items: [], nextPageToken: null },
    );
    await assert.rejects(
      listEvents(ctx.db, { operationId: 'nope' }, { pageSize: 5, pageToken: encodePageToken({ id: '1; drop' }) }),
      /pageToken/,
    );
  });
});
