import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { keepLease } from '../../src/worker/leaseKeeper.ts';
import { fakeClock } from '../helpers/fakeClock.ts';

describe('keepLease', () => {
  test('renews every third of the lease while the lease is held', async () => {
    const clock = fakeClock();
    let renewals = 0;
    const lease = keepLease({ renew: async () => (renewals++, true), leaseSeconds: 15, onLost: () => assert.fail('not lost'), onError: () => assert.fail('no error'), clock });
    await clock.advance(4_999);
    assert.equal(renewals, 0);
    await clock.advance(1);
    assert.equal(renewals, 1);
    await clock.advance(10_000);
    assert.equal(renewals, 3);
    lease.stop();
    await clock.advance(60_000);
    assert.equal(renewals, 3, 'no renewal after stop');
    assert.equal(lease.lost, false);
  });

  test('a short lease is renewed at most every second', async () => {
    const clock = fakeClock();
    let renewals = 0;
    const lease = keepLease({ renew: async () => (renewals++, true), leaseSeconds: 1, onLost: () => undefined, onError: () => undefined, clock });
    await clock.advance(3_000);
    assert.equal(renewals, 3);
    lease.stop();
  });

  test('a renewal that finds the lease taken calls onLost once and stops renewing', async () => {
    const clock = fakeClock();
    let renewals = 0;
    let lost = 0;
    const lease = keepLease({ renew: async () => (++renewals < 2), leaseSeconds: 3, onLost: () => lost++, onError: () => undefined, clock });
    await clock.advance(10_000);
    assert.equal(renewals, 2);
    assert.equal(lost, 1);
    assert.equal(lease.lost, true);
    assert.equal(clock.active, 0, 'the interval is gone');
  });

  test('a failing renewal is reported and the next one is tried; a slow one is not stacked', async () => {
    const clock = fakeClock();
    const errors: unknown[] = [];
    let calls = 0;
    let release: (() => void) | undefined;
    const lease = keepLease({
      renew: async () => {
        calls++;
        if (calls === 1) throw new Error('database away');
        if (calls === 2) await new Promise<void>((resolve) => (release = resolve));
        return true;
      },
      leaseSeconds: 3,
      onLost: () => assert.fail('not lost'),
      onError: (err) => errors.push(err),
      clock,
    });
    await clock.advance(1_000);
    assert.equal(errors.length, 1);
    await clock.advance(3_000);
    assert.equal(calls, 2, 'while the second renewal hangs, no third one starts');
    release!();
    await clock.advance(1_000);
    assert.equal(calls, 3);
    lease.stop();
  });
});
