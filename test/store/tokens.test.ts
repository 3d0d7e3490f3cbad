import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { DomainError } from '../../src/domain/errors.ts';
import { countTokens, deleteToken, findTokenByHash, insertToken, listTokens, touchToken } from '../../src/store/tokens.ts';
import { isUniqueViolation } from '../../src/store/values.ts';
import { describeEachBackend } from './backends.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describeEachBackend('tokens', (ctx) => {
  test('inserts, counts, finds by hash and touches tokens', async () => {
    assert.equal(await countTokens(ctx.db), 0);
    const admin = await insertToken(ctx.db, { name: 'bootstrap', hash: sha256('s1'), role: 'admin' });
    await insertToken(ctx.db, { name: 'ci', hash: sha256('s2'), role: 'operator' });
    assert.equal(await countTokens(ctx.db), 2);
    assert.equal(admin.name, 'bootstrap');
    assert.equal(admin.role, 'admin');
    assert.ok(admin.createdAt instanceof Date);
    assert.equal('hash' in admin, false, 'records never carry the hash');

    assert.deepEqual(await findTokenByHash(ctx.db, sha256('s1')), admin);
    assert.equal(await findTokenByHash(ctx.db, sha256('wrong')), null);

    await touchToken(ctx.db, admin.id);
    const [row] = await ctx.db.query<{ last_used_at: Date | null }>(
      'SELECT last_used_at FROM api_tokens WHERE id = $1', [admin.id],
    );
    assert.ok(row?.last_used_at instanceof Date);
  });

  test('a hash is stored once', async () => {
    await insertToken(ctx.db, { name: 'a', hash: sha256('s'), role: 'viewer' });
    await assert.rejects(insertToken(ctx.db, { name: 'b', hash: sha256('s'), role: 'viewer' }), (err) => isUniqueViolation(err));
  });

  test('lists tokens oldest first, a page at a time', async () => {
    const made: { id: string; createdAt: Date }[] = [];
    for (let i = 0; i < 5; i++) made.push(await insertToken(ctx.db, { name: `t${i}`, hash: sha256(`list-${i}`), role: 'viewer' }));
    const seen: string[] = [];
    let pageToken: string | null = null;
    do {
      const page = await listTokens(ctx.db, { pageSize: 2, pageToken });
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((t) => t.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    // Oldest first; tokens made within the same millisecond come in id order.
    const oldestFirst = [...made].sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime() || (x.id < y.id ? -1 : 1));
    assert.deepEqual(seen.filter((id) => made.some((m) => m.id === id)), oldestFirst.map((m) => m.id));
  });

  test('deletes a token; the last admin token stays when it must', async () => {
    const all = (await listTokens(ctx.db, { pageSize: 500 })).items;
    for (const t of all) await deleteToken(ctx.db, t.id, false);
    const admin = await insertToken(ctx.db, { name: 'only-admin', hash: sha256('only-admin'), role: 'admin' });
    const viewer = await insertToken(ctx.db, { name: 'v', hash: sha256('v'), role: 'viewer' });
    assert.equal(await deleteToken(ctx.db, viewer.id, true), true);
    assert.equal(await deleteToken(ctx.db, viewer.id, true), false, 'gone already');
    await assert.rejects(deleteToken(ctx.db, admin.id, true), (err) => err instanceof DomainError && err.code === 'last_admin_token');
    assert.ok(await findTokenByHash(ctx.db, sha256('only-admin')), 'nothing changed');
    const second = await insertToken(ctx.db, { name: 'second-admin', hash: sha256('second-admin'), role: 'admin' });
    // Two admins revoking each other at once: exactly one of them goes.
    const results = await Promise.allSettled([deleteToken(ctx.db, admin.id, true), deleteToken(ctx.db, second.id, true)]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.equal(await countTokens(ctx.db), 1);
    assert.equal(await deleteToken(ctx.db, (await listTokens(ctx.db, { pageSize: 5 })).items[0]!.id, false), true, 'allowed when an admin exists elsewhere');
  });
});
