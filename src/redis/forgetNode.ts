import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import { addressOf } from './clientAddress.ts';
import { readClusterView } from './readClusterView.ts';

/**
 * Makes the node behind `client` forget `nodeId` (`CLUSTER FORGET`). Skips when it does not know
 * that node. Redis bans the id for 60 s on that node only, so every node must be told within that
 * time or gossip from one that still knows it brings it back. Throws a DomainError
 * (`precondition`, `forget_refused`) when the node refuses, e.g. a replica asked to forget its master.
 *
 * @returns whether FORGET was sent.
 */
export async function forgetNode(client: Redis, nodeId: string): Promise<boolean> {
  const { nodes, myself } = await readClusterView(client);
  if (myself.id === nodeId) {
    throw new DomainError('invalid', 'forget_self', `${addressOf(client)}: a node cannot forget itself`);
  }
  if (!nodes.some((n) => n.id === nodeId)) return false;
  try {
    await client.call('CLUSTER', 'FORGET', nodeId);
  } catch (err) {
    throw new DomainError('precondition', 'forget_refused', `${addressOf(client)}: CLUSTER FORGET ${nodeId} failed: ${(err as Error).message}`, [], { cause: err });
  }
  return true;
}
