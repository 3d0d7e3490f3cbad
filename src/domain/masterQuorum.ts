import { DomainError } from './errors.ts';

/** Below this many masters serving slots, a cluster cannot fail a master over by itself. */
export const MIN_SERVING_MASTERS = 3;

/**
 * Refuses (`precondition`, `too_few_masters`) a plan that leaves fewer than 3 masters serving
 * slots, fewer than there are now, unless the caller allows it: Redis fails a master over only
 * with the votes of a majority of the masters that serve slots, so with 2 a single failure leaves
 * its slots down (Redis Cluster specification, "Replica election and promotion"). A cluster that
 * already has fewer is not refused for staying so. Returns the note a plan's summary carries when
 * it is allowed.
 *
 * @example checkServingMasters(3, 2, false) // throws too_few_masters
 */
export function checkServingMasters(before: number, after: number, allow: boolean): string | null {
  if (after >= MIN_SERVING_MASTERS || after >= before) return null;
  const why = `this plan leaves ${after} ${after === 1 ? 'master' : 'masters'} serving slots (${before} now); with fewer than ${MIN_SERVING_MASTERS} the cluster cannot fail over by itself when a master fails, because a failover needs the votes of a majority of the masters`;
  if (!allow) throw new DomainError('precondition', 'too_few_masters', `${why}; send "allowFewerThanThreeMasters": true to do it anyway`);
  return `leaves ${after} ${after === 1 ? 'master' : 'masters'} serving slots (fewer than ${MIN_SERVING_MASTERS}: no automatic failover)`;
}
