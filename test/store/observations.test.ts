import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterHealth } from '../../src/domain/clusterHealth.ts';
import type { ClusterSnapshot } from '../../src/domain/clusterSnapshot.ts';
import { insertClusterWithOperation } from '../../src/store/clusters.ts';
import { observationToServe, saveObservation } from '../../src/store/observations.ts';
import { claimNextOperation, finishOperation } from '../../src/store/operations.ts';
import { describeEachBackend } from './backends.ts';
import { newCluster, queueOperation, sampleProgress, sampleSteps } from './fixtures.ts';

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

  test('a run\'s look stamped just after its end (the next millisecond) is served, and stored late, after a later operation ended, it is not', async () => {
    const { operation, cluster } = await insertClusterWithOperation(ctx.db, newCluster('c2', ['c2:1']));
    assert.ok(await claimNextOperation(ctx.db, 'w1', 30));
    const first = await finishOperation(ctx.db, operation.id, 'w1', { status: 'succeeded', error: null, steps: sampleSteps(), progress: sampleProgress() });
    // How the worker stamps a run's look: its operation's end as stored (to the millisecond; the database keeps microseconds), plus one.
    const stamp = new Date(first!.finishedAt!.getTime() + 1);
    assert.ok(await saveObservation(ctx.db, cluster.id, stamp, () => ({ snapshot, health, events: [] })));
    assert.equal((await observationToServe(ctx.db, cluster.id))?.endedSince, false, 'served after its own operation\'s end');

    // Another operation of the cluster runs and ends; the first run's look is stored again, late.
    const second = await queueOperation(ctx.db, cluster.id, cluster.name);
    assert.ok(await claimNextOperation(ctx.db, 'w1', 30));
    // Ends in a later millisecond than the stamp, as any operation started after the first one's end does.
    while (Date.now() <= stamp.getTime()) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(await finishOperation(ctx.db, second, 'w1', { status: 'succeeded', error: null, steps: sampleSteps(), progress: sampleProgress() }));
    assert.ok(await saveObservation(ctx.db, cluster.id, stamp, () => ({ snapshot, health, events: [] })));
    assert.equal((await observationToServe(ctx.db, cluster.id))?.endedSince, true, 'older than the later end: the nodes are asked again');
  });
});
