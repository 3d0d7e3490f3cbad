import { DomainError } from '../domain/errors.ts';
import type { OperationKind } from '../domain/operation.ts';
import { MIGRATE_TIMEOUT_MS } from '../domain/timeouts.ts';
import { StepFailure } from './stepFailure.ts';

/**
 * The failure of a step whose keys could not move, with the way out that exists for this
 * operation; undefined for any other error. The slot stays open either way, so the way out is a
 * fix (a fix is told to send itself again):
 * - `busy_keys` (both sides hold a key, with different values): a fix with `"replace": true`
 *   finishes the move, the moving copy overwriting the other;
 * - `key_too_big` (a key did not move within the MIGRATE timeout): a fix with a larger
 *   `"migrateTimeoutMs"` (at most {@link MIGRATE_TIMEOUT_MS}.max).
 */
export function keyMoveFailure(err: unknown, kind: OperationKind, cluster: string, opts: { replace: boolean; migrateTimeoutMs: number }): StepFailure | undefined {
  if (!(err instanceof DomainError)) return undefined;
  const fix = (body: string) => (kind === 'fix'
    ? ` Send the fix again with ${body}.`
    : ` The slot stays open: POST /v1/clusters/${cluster}/fix with ${body} finishes the move.`);
  if (err.code === 'busy_keys') {
    const remedy = opts.replace ? '' : `${fix('{"replace": true}')} The moving copy then overwrites the other.`;
    return new StepFailure('busy_keys', `${err.message}.${remedy}`, [], { cause: err });
  }
  if (err.code === 'key_too_big') {
    const larger = Math.min(MIGRATE_TIMEOUT_MS.max, opts.migrateTimeoutMs * 10);
    const remedy = opts.migrateTimeoutMs >= MIGRATE_TIMEOUT_MS.max ? ' It did not move within the longest timeout slotsmith allows; check that the target is reachable.'
      : fix(`a larger "migrateTimeoutMs" (now ${opts.migrateTimeoutMs}, at most ${MIGRATE_TIMEOUT_MS.max}), e.g. {"migrateTimeoutMs": ${larger}}`);
    return new StepFailure('key_too_big', `${err.message}.${remedy}`, [], { cause: err });
  }
  return undefined;
}
