import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '../../src/domain/errors.ts';
import { resolveHost } from '../../src/redis/resolveHost.ts';

test('IP literals pass through unchanged, bracketed IPv6 loses its brackets', async () => {
  assert.equal(await resolveHost('10.1.2.3'), '10.1.2.3');
  assert.equal(await resolveHost('::1'), '::1');
  assert.equal(await resolveHost('[fe80::1]'), 'fe80::1');
});

test('a hostname resolves to its IPv4 address', async () => {
  assert.equal(await resolveHost('localhost'), '127.0.0.1');
});

test('an unknown name is an invalid-input DomainError naming the host', async () => {
  await assert.rejects(
    resolveHost('no-such-host.invalid'),
    (err: unknown) => err instanceof DomainError && err.code === 'unresolvable_host' && err.message.includes('no-such-host.invalid'),
  );
});
