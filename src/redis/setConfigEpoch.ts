import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import { addressOf } from './clientAddress.ts';
import { readClusterView } from './readClusterView.ts';

/**
 * Gives a new node its config epoch (`CLUSTER SET-CONFIG-EPOCH`) so that the masters of a new
 * cluster start with distinct epochs instead of resolving collisions after meeting. Skips when the
 * node already has that epoch, and for a replica (it reports its master's epoch, so a resumed
 * create finds the replicas of its first run "wrong" but past the point where epochs matter). Redis accepts this only while the node knows no other node and its
 * epoch is 0; otherwise this throws a DomainError (`precondition`, `config_epoch_refused`).
 *
 * @returns whether the epoch was changed.
 */
export async function setConfigEpoch(client: Redis, epoch: number): Promise<boolean> {
  const { myself } = await readClusterView(client);
  if (myself.configEpoch === epoch || myself.role === 'replica') return false;
  try {
    await client.call('CLUSTER', 'SET-CONFIG-EPOCH', String(epoch));
  } catch (err) {
    throw new DomainError(
      'precondition',
      'config_epoch_refused',
      `${addressOf(client)}: cannot set config epoch ${epoch} (current ${myself.configEpoch}): ${(err as Error).message}`,
      [],
      { cause: err },
    );
  }
  return true;
}
