import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { keyPacer } from '../../src/redis/keyPacer.ts';

/** Moves `batches` of keys, each taking `costPerKeyMs` per key, paced at `rate`, on a fake clock. */
async function pacedRun(rate: number, batches: readonly number[], costPerKeyMs: number): Promise<{ clock: number; waits: number }> {
  let clock = 0;
  let waits = 0;
  const pace = keyPacer(rate, () => clock, async (ms) => {
    waits++;
    clock += ms;
  });
  for (const n of batches) {
    clock += n * costPerKeyMs;
    await pace(n);
  }
  return { clock, waits };
}

test('1000 keys at 500 keys/s take 2 s however they are batched, when moving itself is instant', async () => {
  assert.equal((await pacedRun(500, [100, 400, 250, 250], 0)).clock, 2000);
  assert.equal((await pacedRun(500, [1000], 0)).clock, 2000);
});

test('property: never faster than the rate; never a wait when moving is slower than the rate', async () => {
  await fc.assert(fc.asyncProperty(
    fc.integer({ min: 1, max: 100_000 }),
    fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 30 }),
    fc.double({ min: 0, max: 5, noNaN: true }),
    async (rate, batches, costPerKeyMs) => {
      const moved = batches.reduce((a, b) => a + b, 0);
      const { clock, waits } = await pacedRun(rate, batches, costPerKeyMs);
      assert.ok(clock > (moved / rate) * 1000 - 1, `${moved} keys in ${clock} ms at ${rate}/s`);
      if (costPerKeyMs >= 1000 / rate) assert.equal(waits, 0);
    },
  ));
});
