import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimIdempotencyKey, deleteIdempotencyKeysBefore, releaseIdempotencyKey, saveIdempotentResult, type KeyClaimRequest } from '../../src/store/idempotencyKeys.ts';
import { describeEachBackend } from './backends.ts';

const T0 = new Date('2026-11-26T10:00:00.000Z');
const request = (over: Partial<KeyClaimRequest> = {}): KeyClaimRequest => ({
  tokenId: 'token-1', key: 'k1', requestHash: 'hash-a', now: T0, keepMs: 86_400_000, abandonedMs: 60_000, ...over,
});
const later = (ms: number): Date => new Date(T0.getTime() + ms);

describeEachBackend('idempotency keys', (ctx) => {
  test('claimed once; then in flight, then replayed; another request with the key is a mismatch', async () => {
    assert.deepEqual(await claimIdempotencyKey(ctx.db, request()), { kind: 'claimed' });
    assert.deepEqual(await claimIdempotencyKey(ctx.db, request({ now: later(1000) })), { kind: 'in_flight' });
    await saveIdempotentResult(ctx.db, 'token-1', 'k1', { id: 'op-1', status: 'queued' });
    assert.deepEqual(await claimIdempotencyKey(ctx.db, request({ now: later(2000) })), { kind: 'replay', result: { id: 'op-1', status: 'queued' } });
    assert.deepEqual(await claimIdempotencyKey(ctx.db, request({ requestHash: 'hash-b', now: later(3000) })), { kind: 'mismatch' });
    assert.deepEqual(await claimIdempotencyKey(ctx.db, request({ tokenId: 'token-2' })), { kind: 'claimed' }, 'keys are per token');
  });

  test('a released key, an abandoned one and an expired one can be claimed again', async () => {
    await claimIdempotencyKey(ctx.db, request({ key: 'released' }));
    await releaseIdempotencyKey(ctx.db, 'token-1', 'released');
    assert.deepEqual(await claimIdempotencyKey(ctx.db, request({ key: 'released', requestHash: 'hash-b' })), { kind: 'claimed' });

    await claimIdempotencyKey(ctx.db, request({ key: 'abandoned' }));
    assert.deepEqual(await claimIdempotencyKey(ctx.db, request({ key: 'abandoned', now: later(59_000) })), { kind: 'in_flight' });
    assert.deepEqual(await claimIdempotencyKey(ctx.db, request({ key: 'abandoned', now: later(61_000) })), { kind: 'claimed' });

    await claimIdempotencyKey(ctx.db, request({ key: 'expired' }));
    await saveIdempotentResult(ctx.db, 'token-1', 'expired', null);
    assert.deepEqual(await claimIdempotencyKey(ctx.db, request({ key: 'expired', now: later(1000) })), { kind: 'replay', result: null });
    assert.deepEqual(await claimIdempotencyKey(ctx.db, request({ key: 'expired', requestHash: 'hash-b', now: later(86_400_001) })), { kind: 'claimed' });
  });

  test('of concurrent claims of one key, exactly one wins', async () => {
    const claims = await Promise.all(Array.from({ length: 8 }, () => claimIdempotencyKey(ctx.db, request({ key: 'race' }))));
    assert.equal(claims.filter((c) => c.kind === 'claimed').length, 1);
    assert.ok(claims.every((c) => c.kind === 'claimed' || c.kind === 'in_flight'));
  });

  test('old keys are swept', async () => {
    await claimIdempotencyKey(ctx.db, request({ key: 'old', now: later(-100_000) }));
    await claimIdempotencyKey(ctx.db, request({ key: 'new', now: later(10_000) }));
    assert.ok((await deleteIdempotencyKeysBefore(ctx.db, later(-50_000))) >= 1);
    assert.deepEqual(await claimIdempotencyKey(ctx.db, request({ key: 'old', requestHash: 'hash-b', now: later(11_000) })), { kind: 'claimed' }, 'forgotten');
    assert.deepEqual(await claimIdempotencyKey(ctx.db, request({ key: 'new', now: later(11_000) })), { kind: 'in_flight' }, 'kept');
  });
});
