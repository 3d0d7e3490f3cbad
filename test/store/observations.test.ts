import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterHealth } from '../../src/domain/clusterHealth.ts';
import type { ClusterSnapshot } from '../../src/domain/clusterSnapshot.ts';
import { insertClusterWithOperation } from '../../src/store/clusters.ts';
import { observationToServe, saveObservation } from '../../src/store/observations.ts';
import { claimNextOperation, finishOperation } from '../../src/store/operations.ts';
import { describeEachBackend } from './backends.ts';
import { newCluster, sampleProgress, sampleSteps } from './fixtures.ts';

const snapshot = { nodes: [] } as unknown as ClusterSnapshot;
const health = { conditions: [], problems: [], nodes: [] } as unknown as ClusterHealth;

describeEachBackend('observations', (ctx) => {
  test('an observation is served as it is until an operation of its cluster ends after it, and again once a newer one is stored', async () => {
    const { operation } = await insertClusterWithOperation(ctx.db, newCluster('c1', ['c1:1']));
    assert.equal(await observationToServe(ctx.db, operation.clusterId), null, 'never observed');
    const store = async (at: Date) => assert.ok(await saveObservation(ctx.db, operation.clusterId, at, () => ({ snapshot, health, events: [] })));

    await store(new Date(Date.now() - 60_000));
    let served = await observationToServe(ctx.db, operation.clusterId);
    assert.equal(served?.endedSince, false, 'the create runs: nothing ended since');
    assert.deepEqual(served?.observation.snapshot, snapshot);

    // A run ends, and stores its look at the settled nodes only right after its end.
    assert.ok(await claimNextOperation(ctx.db, 'w1', 30));
    assert.ok(await finishOperation(ctx.db, operation.id, 'w1', { status: 'succeeded', error: null, steps: sampleSteps(), progress: sampleProgress() }));
    served = await observationToServe(ctx.db, operation.clusterId);
    assert.equal(served?.endedSince, true, 'what it shows is from before the operation ended');

    await store(new Date());
    served = await observationToServe(ctx.db, operation.clusterId);
    assert.equal(served?.endedSince, false, 'the look stored after the end is served');
  });
});
