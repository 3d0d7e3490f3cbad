import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import { addressOf } from './clientAddress.ts';
import { readClusterView } from './readClusterView.ts';

/**
 * Makes the node behind `client` a replica of `masterNodeId` (`CLUSTER REPLICATE`). Skips when it
 * already replicates that master. The node must already know the master (see `waitUntilKnows`);
 * otherwise this throws a DomainError (`precondition`, `master_unknown`).
 *
 * @returns whether the node was told to replicate.
 */
export async function replicate(client: Redis, masterNodeId: string): Promise<boolean> {
  const { nodes, myself } = await readClusterView(client);
  if (myself.role === 'replica' && myself.masterId === masterNodeId) return false;
  if (myself.id === masterNodeId) {
    throw new DomainError('invalid', 'replicate_self', `${addressOf(client)}: a node cannot replicate itself`);
  }
  const master = nodes.find((n) => n.id === masterNodeId && !n.flags.includes('handshake'));
  if (!master) {
    throw new DomainError(
      'precondition',
      'master_unknown',
      `${addressOf(client)} does not know master ${masterNodeId} yet (wait until it knows the master)`,
    );
  }
  try {
    await client.call('CLUSTER', 'REPLICATE', masterNodeId);
  } catch (err) {
    throw new DomainError(
      'precondition',
      'replicate_refused',
      `${addressOf(client)}: CLUSTER REPLICATE ${masterNodeId} (${master.address}) failed: ${(err as Error).message}`,
      [],
      { cause: err },
    );
  }
  return true;
}
