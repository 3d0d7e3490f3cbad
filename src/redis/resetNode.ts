import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import { addressOf } from './clientAddress.ts';
import { readClusterView } from './readClusterView.ts';

/**
 * Resets the node behind `client` with `CLUSTER RESET HARD`: it forgets every other node, drops
 * its slots, becomes an empty master and takes a new node id (so no node's 60 s FORGET ban can
 * touch it when it joins a cluster again). Skips when the node's id is no longer `expectedId`
 * (it was reset already). Redis refuses to reset a master that holds keys; that refusal is thrown
 * as a DomainError (`precondition`, `reset_refused`), as is any other error.
 *
 * @returns whether RESET was sent.
 */
export async function resetNode(client: Redis, expectedId: string): Promise<boolean> {
  const { myself } = await readClusterView(client);
  if (myself.id !== expectedId) return false;
  try {
    await client.call('CLUSTER', 'RESET', 'HARD');
  } catch (err) {
    throw new DomainError('precondition', 'reset_refused', `${addressOf(client)}: CLUSTER RESET HARD failed: ${(err as Error).message}`, [], { cause: err });
  }
  return true;
}
