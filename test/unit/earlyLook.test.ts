import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rememberNodesOf, startEarlyLook } from '../../src/service/earlyLook.ts';
import type { Observation, ServiceDeps } from '../../src/service/deps.ts';
import type { ClusterRecord } from '../../src/store/records.ts';

const observation = { nodes: [], unreachable: [], reached: [], views: [], servers: new Map() } as unknown as Observation;

function fakeDeps(): { deps: ServiceDeps; asked: string[][] } {
  const asked: string[][] = [];
  const deps = { observe: async (addresses: readonly string[]) => (asked.push([...addresses]), observation) } as unknown as ServiceDeps;
  return { deps, asked };
}

function record(nodes: string[], password: string | null = null): ClusterRecord {
  return { name: 'orders', spec: { nodes, replicasPerShard: 0, shards: [] }, auth: password === null ? null : { password } } as unknown as ClusterRecord;
}

test('the planning look starts before the record is read only for nodes this process read before, and is used only when the record still names them', async () => {
  const { deps, asked } = fakeDeps();
  assert.equal(startEarlyLook(deps, 'orders'), null, 'nothing read yet: nothing to ask early');
  rememberNodesOf(deps, record(['a:1', 'b:1', 'c:1']));
  assert.equal(startEarlyLook(deps, 42), null, 'a name that is not a string is left to the record read to refuse');

  const early = startEarlyLook(deps, 'orders');
  assert.deepEqual(asked, [['a:1', 'b:1', 'c:1']], 'asked at once, before the record is read');
  assert.equal(await early?.for(record(['a:1', 'b:1', 'c:1'])), observation, 'same nodes, same credentials: the look is used');
  assert.equal(startEarlyLook(deps, 'orders')?.for(record(['a:1', 'b:1', 'c:1', 'd:1'])), null, 'a node added since: asked again');
  assert.equal(startEarlyLook(deps, 'orders')?.for(record(['a:1', 'b:1', 'c:1'], 'secret')), null, 'credentials changed since: asked again');
  assert.equal(startEarlyLook(fakeDeps().deps, 'orders'), null, 'what one service saw is not another\'s');
});

test('an early look that fails and is not used does not fail the process', async () => {
  const deps = { observe: async () => Promise.reject(new Error('node down')) } as unknown as ServiceDeps;
  rememberNodesOf(deps, record(['a:1']));
  assert.equal(startEarlyLook(deps, 'orders')?.for(record(['b:1'])), null);
  await new Promise((resolve) => setImmediate(resolve));
});
