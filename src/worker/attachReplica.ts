import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import type { NodeRef } from '../domain/nodeRef.ts';
import { replicate } from '../redis/replicate.ts';
import { waitUntilKnows } from '../redis/waitUntilKnows.ts';

/** How long a replica may take to learn its (new) master's id through gossip before the step fails. */
export const KNOW_MASTER_TIMEOUT_MS = 30_000;

/**
 * Makes the node behind `client` a replica of `master`: waits until it knows the master by id
 * (`CLUSTER REPLICATE` refuses an unknown one), then replicates it. Resolves true when its master
 * changed, false when it already followed `master`. Throws a DomainError (`unavailable`,
 * `master_not_known`) saying the replica does not know its master after
 * {@link KNOW_MASTER_TIMEOUT_MS}, and the signal's reason when aborted.
 */
export async function attachReplica(client: Redis, master: NodeRef, signal: AbortSignal): Promise<boolean> {
  try {
    await waitUntilKnows(client, [master.id], { timeoutMs: KNOW_MASTER_TIMEOUT_MS, signal });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new DomainError('unavailable', 'master_not_known', `does not know its master ${master.address} after ${KNOW_MASTER_TIMEOUT_MS / 1000} s`, [], { cause: err });
  }
  return replicate(client, master.id);
}
