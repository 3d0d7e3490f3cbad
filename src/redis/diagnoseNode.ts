import type { Redis } from 'ioredis';
import { parseInfo } from './parseInfo.ts';
import { hasMasterAuth } from './replicationAuth.ts';

/**
 * The first reason found why the node behind `client` is not ready, in words a person can act on:
 * it is loading its dataset; its replication link to its master (by the address it uses) is down,
 * and whether that is because it has no `masterauth` while the nodes require a password; or null
 * when none of those holds. Read-only, for error messages once a wait gave up (not for polling).
 *
 * @example await diagnoseNode(client) // 'replication from 10.0.0.1:7000 is down: masterauth is not set, ...'
 */
export async function diagnoseNode(client: Redis): Promise<string | null> {
  const replies = await client.pipeline().info('persistence').info('replication').call('CONFIG', 'GET', 'requirepass').exec();
  if (!replies) return null;
  const [persistence, replication, requirepass] = replies.map(([err, value]) => (err ? null : value));
  const loading = parseInfo(String(persistence ?? '')).get('loading');
  if (loading === '1') return 'it is loading its dataset into memory';
  const repl = parseInfo(String(replication ?? ''));
  if (repl.get('role') === 'slave' && repl.get('master_link_status') !== 'up') {
    const master = `${repl.get('master_host') ?? '?'}:${repl.get('master_port') ?? '?'}`;
    const needsPassword = Array.isArray(requirepass) && String(requirepass[1] ?? '') !== '';
    if (needsPassword && !(await hasMasterAuth(client))) {
      return `replication from its master ${master} is down: masterauth is not set while the nodes require a password, so the master refuses the sync (NOAUTH)`;
    }
    return `replication from its master ${master} is down (master_link_status:${repl.get('master_link_status') ?? 'unknown'})`;
  }
  return null;
}
