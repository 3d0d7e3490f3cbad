import type { Redis } from 'ioredis';

/** The 40-character cluster node id of the node behind `client` (`CLUSTER MYID`). */
export async function myNodeId(client: Redis): Promise<string> {
  return String(await client.call('CLUSTER', 'MYID'));
}
