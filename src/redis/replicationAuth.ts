import type { Redis } from 'ioredis';
import type { NodeAuth } from './nodeAuth.ts';

/**
 * Whether the node behind `client` has credentials for replicating from a master: a replica
 * authenticates to its master with `masterauth` (and `masteruser` for an ACL user); without them
 * a master that requires a password answers its sync with NOAUTH and the link stays down. Every
 * node of a cluster needs them, since a failover can make any master a replica.
 */
export async function hasMasterAuth(client: Redis): Promise<boolean> {
  const reply = (await client.call('CONFIG', 'GET', 'masterauth')) as string[];
  return (reply[1] ?? '') !== '';
}

/**
 * Sets `masterauth` (and `masteruser` when `auth` has a username) to the cluster's credentials on
 * a node that has no `masterauth` yet; a node that has one keeps its own. Resolves true when it
 * set them. The values are set at run time (`CONFIG SET`, which Redis hides from SLOWLOG and
 * MONITOR); a node restarted without them in its configuration loses them.
 */
export async function ensureMasterAuth(client: Redis, auth: NodeAuth): Promise<boolean> {
  if (auth.password === undefined || (await hasMasterAuth(client))) return false;
  const args = ['masterauth', auth.password, ...(auth.username !== undefined ? ['masteruser', auth.username] : [])];
  await client.call('CONFIG', 'SET', ...args);
  return true;
}
