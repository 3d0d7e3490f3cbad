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
      appended.push(await appendEvent(ctx.db, { operationId: operation.id, type: 'step', message: `m${i}`, data: { i } }));
      await appendEvent(ctx.db, { operationId: other.id, type: 'noise', message: 'other operation' });
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
      const page = await listEvents(ctx.db, operation.id, { pageSize: 2, pageToken: token });
      seen.push(...page.items);
      token = page.nextPageToken;
    } while (token !== null);
    // The queued event written at creation comes first.
    assert.deepEqual(seen.map((e) => e.message), ['create c1', 'm0', 'm1', 'm2', 'm3', 'm4']);
    assert.deepEqual(seen.slice(1), appended);
  });

  test('an event without data stores null', async () => {
    const { operation } = await insertClusterWithOperation(ctx.db, newCluster('c1', ['h:1']));
    const event = await appendEvent(ctx.db, { operationId: operation.id, type: 't', message: 'm' });
    assert.equal(event.data, null);
  });

  test('an unknown or malformed operation has no events; a bad token is refused', async () => {
    assert.deepEqual(await listEvents(ctx.db, 'nope', { pageSize: 5 }), { items: [], nextPageToken: null });
    assert.deepEqual(
      await listEvents(ctx.db, '00000000-0000-4000-8000-000000000000', { pageSize: 5 }),
      { items: [], nextPageToken: null },
    );
    await assert.rejects(
      listEvents(ctx.db, 'nope', { pageSize: 5, pageToken: encodePageToken({ id: '1; drop' }) }),
      /pageToken/,
    );
  });
});
