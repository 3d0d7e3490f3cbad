import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rememberAtomicMasters, rememberNodesOf, startEarlyLook } from '../../src/service/earlyLook.ts';
import type { Observation, ServiceDeps } from '../../src/service/deps.ts';
import type { ClusterRecord } from '../../src/store/records.ts';

const observation = { nodes: [], unreachable: [], reached: [], views: [], servers: new Map() } as unknown as Observation;

function fakeDeps(): { deps: ServiceDeps; asked: string[][]; listed: string[] } {
  const asked: string[][] = [];
  const listed: string[] = [];
  const deps = {
    // Lists the jobs it is asked to with the look, as the service's look does on its connections.
    observe: async (addresses: readonly string[], _auth: unknown, opts: { listJobsOn?: ReadonlyMap<string, string> } = {}) => {
      asked.push([...addresses]);
      for (const [address, dialect] of opts.listJobsOn ?? []) listed.push(`${address} ${dialect}`);
      return { ...observation, ...(opts.listJobsOn ? { listedJobs: new Map([...opts.listJobsOn.keys()].map((a) => [a, []])) } : {}) };
    },
    atomicJobsInFlight: async (address: string, _auth: unknown, dialect: string) => (listed.push(`asked again ${address} ${dialect}`), []),
  } as unknown as ServiceDeps;
  return { deps, asked, listed };
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
  assert.deepEqual(await early?.for(record(['a:1', 'b:1', 'c:1'])), observation, 'same nodes, same credentials: the look is used');
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

test('the masters last seen running atomic migration are asked for their jobs with the early look, in the dialect they spoke', async () => {
  const { deps, listed } = fakeDeps();
  rememberAtomicMasters(deps, 'orders', [{ address: 'a:1', dialect: 'redis' }]);
  assert.equal(startEarlyLook(deps, 'orders'), null, 'masters remembered before the record was read are not kept');
  rememberNodesOf(deps, record(['a:1', 'b:1']));
  rememberAtomicMasters(deps, 'orders', [{ address: 'a:1', dialect: 'redis' }]);
  const early = startEarlyLook(deps, 'orders')!;
  assert.deepEqual(listed, ['a:1 redis']);
  assert.deepEqual(await early.jobsAt('a:1', 'redis'), []);
  assert.equal(early.jobsAt('a:1', 'valkey'), null, 'a node that speaks another dialect now is asked again');
  assert.equal(early.jobsAt('b:1', 'redis'), null, 'a master not seen before is asked');
  rememberNodesOf(deps, record(['a:1', 'b:1']));
  startEarlyLook(deps, 'orders');
  assert.deepEqual(listed, ['a:1 redis', 'a:1 redis'], 'reading the same record again keeps what the looks said');
  rememberNodesOf(deps, record(['a:1', 'c:1']));
  startEarlyLook(deps, 'orders');
  assert.equal(listed.length, 2, 'another record forgets it');
});

test('a job list that failed with the early look is asked for again when needed', async () => {
  const again: string[] = [];
  const deps = {
    observe: async () => ({ ...observation, listedJobs: new Map() }),
    atomicJobsInFlight: async (address: string) => (again.push(address), [{ address, direction: 'import', slots: [[0, 9]], phase: 'running' }]),
  } as unknown as ServiceDeps;
  rememberNodesOf(deps, record(['a:1']));
  rememberAtomicMasters(deps, 'orders', [{ address: 'a:1', dialect: 'valkey' }]);
  const jobs = await startEarlyLook(deps, 'orders')!.jobsAt('a:1', 'valkey');
  assert.deepEqual(again, ['a:1']);
  assert.equal(jobs?.length, 1);
});
