import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { keyPacer } from '../../src/redis/keyPacer.ts';

/**
 * `sources` movers sharing one pacer on a fake clock: each reserves `batch` keys, moves `moved`
 * of them in `costMs`, `rounds` times. Returns when each reservation was admitted, with its keys.
 */
async function pacedRun(rate: number, sources: number, rounds: number, batch: number, moved: (i: number) => number, costMs: number) {
  let clock = 0;
  const pacer = keyPacer(rate, () => clock, async (ms) => {
    clock += ms;
  });
  const starts: { at: number; keys: number }[] = [];
  // The fake clock is shared: sources take turns, as the event loop would interleave them.
  for (let r = 0; r < rounds; r++) {
    for (let s = 0; s < sources; s++) {
      const settle = await pacer.reserve(batch);
      const keys = Math.min(batch, moved(r * sources + s));
      starts.push({ at: clock, keys });
      clock += costMs;
      settle(keys);
    }
  }
  return { starts, clock };
}

/** The most keys that started moving within any window [t, t + 1 s). */
function busiestSecond(starts: readonly { at: number; keys: number }[]): number {
  let most = 0;
  for (const s of starts) {
    most = Math.max(most, starts.filter((o) => o.at >= s.at && o.at < s.at + 1000).reduce((n, o) => n + o.keys, 0));
  }
  return most;
}

test('1000 keys at 500 keys/s take 2 s, with no burst when 4 sources start together', async () => {
  const { starts } = await pacedRun(500, 4, 5, 50, () => 50, 0);
  assert.equal(starts.reduce((n, s) => n + s.keys, 0), 1000);
  assert.ok(busiestSecond(starts) <= 500, `busiest second moved ${busiestSecond(starts)}`);
  assert.equal(starts.filter((s) => s.at < 1000).reduce((n, s) => n + s.keys, 0), 500, 'the first second moves exactly the limit');
});

test('property: the limit holds over every window of one second; slower than the limit, nothing waits', async () => {
  await fc.assert(fc.asyncProperty(
    fc.integer({ min: 10, max: 100_000 }),
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 25 }),
    fc.func(fc.nat({ max: 1000 })),
    fc.double({ min: 0, max: 300, noNaN: true }),
    async (rate, sources, rounds, movedOf, costMs) => {
      const batch = Math.ceil(rate / 10);
      const { starts } = await pacedRun(rate, sources, rounds, batch, (i) => movedOf(i) % (batch + 1), costMs);
      assert.ok(busiestSecond(starts) <= rate, `${busiestSecond(starts)} keys within a second at ${rate}/s`);
    },
  ));
  const slow = await pacedRun(1000, 1, 10, 100, () => 100, 150);
  assert.deepEqual(slow.starts.map((s) => s.at), Array.from({ length: 10 }, (_, i) => i * 150), 'never held back');
});
