import { DomainError } from '../domain/errors.ts';
import type { OperationKind } from '../domain/operation.ts';
import { StepFailure } from './stepFailure.ts';

/**
 * The failure of a step that met keys existing on both sides of a move with different values
 * (`busy_keys`, see `migrateBusyKeys`), with the way out that exists for this operation: the slot
 * stays open with both copies, and a fix with `"replace": true` finishes the move, the moving copy
 * overwriting the other (a fix without it is told to send itself again with it). Undefined for
 * any other error.
 */
export function busyKeysFailure(err: unknown, kind: OperationKind, cluster: string, replace: boolean): StepFailure | undefined {
  if (!(err instanceof DomainError) || err.code !== 'busy_keys') return undefined;
  const remedy = replace ? ''
    : kind === 'fix' ? ' Send the fix again with {"replace": true} to overwrite them with the moving copies.'
      : ` The slot stays open with both copies: POST /v1/clusters/${cluster}/fix with {"replace": true} finishes the move, the moving copy overwriting the other.`;
  return new StepFailure('busy_keys', `${err.message}.${remedy}`, [], { cause: err });
}
