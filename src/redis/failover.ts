import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import { addressOf } from './clientAddress.ts';

/**
 * Asks the replica behind `client` to take over from its master: `CLUSTER FAILOVER` (coordinated:
 * the master stops writes until the replica caught up), `FORCE` (without the master's
 * agreement, still elected by the masters) or `TAKEOVER` (without any vote). OK only means the
 * failover was scheduled: callers must watch for the new roles. Errors (e.g. "You should send
 * CLUSTER FAILOVER to a replica") are thrown as a DomainError (`precondition`, `failover_refused`).
 */
export async function failover(client: Redis, mode: 'default' | 'force' | 'takeover'): Promise<void> {
  const args = mode === 'default' ? ['FAILOVER'] : ['FAILOVER', mode.toUpperCase()];
  try {
    await client.call('CLUSTER', ...args);
  } catch (err) {
    throw new DomainError('precondition', 'failover_refused', `${addressOf(client)}: CLUSTER ${args.join(' ')} failed: ${(err as Error).message}`, [], { cause: err });
  }
}
