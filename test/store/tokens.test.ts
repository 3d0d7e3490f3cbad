import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { countTokens, findTokenByHash, insertToken, touchToken } from '../../src/store/tokens.ts';
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
});
