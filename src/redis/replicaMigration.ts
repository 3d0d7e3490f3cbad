import type { Redis } from 'ioredis';
import { readConfig } from './configValues.ts';

const NAME = 'cluster-allow-replica-migration';

/** The node's `cluster-allow-replica-migration` (`yes` or `no`). */
export async function readReplicaMigration(client: Redis): Promise<string> {
  return (await readConfig(client, [NAME]))[NAME] ?? 'yes';
}

/**
 * Sets `cluster-allow-replica-migration` on the node behind `client` (only when it differs). With
 * `yes` (the default), a master that loses its last slot turns itself into a replica of the node
 * that took it, and its replicas follow; a drain that must keep the master a master until the
 * end sets it to `no` for the drain's duration.
 *
 * @example const before = await readReplicaMigration(client); await setReplicaMigration(client, 'no'); ...; await setReplicaMigration(client, before);
 */
export async function setReplicaMigration(client: Redis, value: string): Promise<void> {
  if ((await readReplicaMigration(client)) !== value) await client.call('CONFIG', 'SET', NAME, value);
}
