import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { NodeAuth } from '../../src/redis/nodeAuth.ts';
import { observeCluster } from '../../src/redis/observeCluster.ts';
import { findOpenSlots } from '../../src/redis/closeOpenSlots.ts';

const run = promisify(execFile);

/**
 * Asserts from the nodes themselves that the cluster is settled: `redis-cli --cluster check`
 * passes (all slots covered, all nodes agree, nothing open), and no node reports an open slot.
 * Returns the redis-cli report.
 */
export async function assertClusterSettled(addresses: readonly string[], auth?: NodeAuth): Promise<string> {
  const args = ['--cluster', 'check', addresses[0]!];
  if (auth?.password) args.push('-a', auth.password, '--no-auth-warning');
  if (auth?.username) args.push('--user', auth.username);
  const { stdout } = await run('redis-cli', args); // rejects on a non-zero exit code
  assert.match(stdout, /\[OK\] All nodes agree about slots configuration\./);
  assert.match(stdout, /\[OK\] All 16384 slots covered\./);
  assert.doesNotMatch(stdout, /\[ERR\]|\[WARNING\]|in (migrating|importing) state/i);
  const observed = await observeCluster(addresses, auth);
  assert.deepEqual(observed.unreachable, []);
  assert.deepEqual(findOpenSlots(observed.nodes), []);
  return stdout;
}
