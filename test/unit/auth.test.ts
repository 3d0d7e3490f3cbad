import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createAuthenticator, hashToken } from '../../src/service/auth.ts';
import type { Database } from '../../src/store/database.ts';
import { openTestPGlite } from '../helpers/pgliteTemplate.ts';
import { migrate } from '../../src/store/migrate.ts';

let db: Database;
before(async () => {
  db = await openTestPGlite();
  await migrate(db);
});
after(async () => {
  await db.close();
});

test('the first start generates one admin token, stores only its hash, and never again', async () => {
  const announced: string[] = [];
  const auth = await createAuthenticator(db, null, (t) => announced.push(t));
  assert.equal(announced.length, 1);
  const token = announced[0]!;
  const rows = await db.query<{ hash: string; role: string }>('select hash, role from api_tokens');
  assert.deepEqual(rows, [{ hash: hashToken(token), role: 'admin' }]);
  assert.equal(JSON.stringify(rows).includes(token), false);
  assert.deepEqual(await auth.authenticate(`Bearer ${token}`).then((c) => c.role), 'admin');
  await assert.rejects(auth.authenticate(`Bearer ${token}x`), { code: 'invalid_token' });
  await assert.rejects(auth.authenticate(undefined), { code: 'unauthenticated' });

  await createAuthenticator(db, null, (t) => announced.push(t));
  assert.equal(announced.length, 1, 'a second start announces nothing');
});

test('SLOTSMITH_ADMIN_TOKEN is the admin and is not stored', async () => {
  const before = await db.query('select id from api_tokens');
  const auth = await createAuthenticator(db, 'env-token-123', () => assert.fail('nothing to announce'));
  assert.equal((await auth.authenticate('Bearer env-token-123')).role, 'admin');
  assert.equal((await db.query('select id from api_tokens')).length, before.length);
  await assert.rejects(auth.authenticate('Bearer env-token-124'), { code: 'invalid_token' });
});
