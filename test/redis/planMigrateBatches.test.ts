import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { chunkByBudget, planMigrateBatches } from '../../src/redis/planMigrateBatches.ts';

describe('planMigrateBatches', () => {
  test('keeps every key once, in order, within the count and byte budgets; only an oversized key exceeds bytes, alone', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 5_000 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 20_000 }),
        (sizes, maxKeys, maxBytes) => {
          const keys = sizes.map((_, i) => Buffer.from(`k${i}`));
          const batches = planMigrateBatches(7, keys, sizes, maxKeys, maxBytes);
          assert.deepEqual(batches.flatMap((b) => b.keys), keys);
          for (const batch of batches) {
            assert.equal(batch.slot, 7);
            assert.ok(batch.keys.length >= 1 && batch.keys.length <= maxKeys);
            assert.equal(batch.bytes, batch.sizes.reduce((a, b) => a + b, 0));
            if (batch.bytes > maxBytes) assert.equal(batch.keys.length, 1, 'an oversized batch holds one key');
          }
          // Greedy: a batch was closed only because the next key did not fit.
          for (let i = 0; i + 1 < batches.length; i++) {
            const [current, next] = [batches[i]!, batches[i + 1]!];
            assert.ok(current.keys.length === maxKeys || current.bytes + next.sizes[0]! > maxBytes);
          }
        },
      ),
    );
  });

  test('an example: the big key travels alone', () => {
    const [k1, k2, k3, k4] = ['a', 'b', 'c', 'd'].map((k) => Buffer.from(k)) as [Buffer, Buffer, Buffer, Buffer];
    const batches = planMigrateBatches(1, [k1, k2, k3, k4], [10, 10, 500, 10], 100, 100);
    assert.deepEqual(batches.map((b) => b.keys), [[k1, k2], [k3], [k4]]);
  });
});

describe('chunkByBudget', () => {
  test('keeps order, stays within the budget unless one item alone exceeds it', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 100 })), fc.integer({ min: 1, max: 150 }), (weights, budget) => {
        const chunks = chunkByBudget(weights, (w) => w, budget);
        assert.deepEqual(chunks.flat(), weights);
        for (const chunk of chunks) {
          const total = chunk.reduce((a, b) => a + b, 0);
          assert.ok(chunk.length >= 1 && (total <= budget || chunk.length === 1));
        }
      }),
    );
  });
});
