import { DomainError } from '../domain/errors.ts';
import type { NodeProblem, OperationError } from '../domain/operation.ts';

/**
 * A step failed for a reason the caller should read: carries a stable code and, where nodes are to
 * blame, each node with its reason. Anything else a step throws becomes `step_failed`.
 */
export class StepFailure extends Error {
  override readonly name = 'StepFailure';
  constructor(
    readonly code: string,
    message: string,
    readonly nodes: readonly NodeProblem[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The error stored on a failed operation. A {@link StepFailure} or a DomainError (Redis-side
 * refusals such as busy_keys, key_too_big, slot_not_on_source) keeps its stable code and counts as
 * `unprocessable` (the request was fine, the cluster refused it); anything else is an `internal`
 * `step_failed` with its message.
 */
export function toOperationError(error: unknown, stepTitle: string): OperationError {
  const title = `Step failed: ${stepTitle}`;
  if (error instanceof StepFailure) {
    return { kind: 'unprocessable', code: error.code, title, detail: error.message, ...(error.nodes.length > 0 ? { nodes: error.nodes.map((n) => ({ ...n })) } : {}) };
  }
  if (error instanceof DomainError) return { kind: 'unprocessable', code: error.code, title, detail: error.message };
  return { kind: 'internal', code: 'step_failed', title, detail: error instanceof Error ? error.message : String(error) };
}
