import { DomainError } from '../domain/errors.ts';
import type { Problem } from '../domain/operation.ts';

/**
 * A step failed for a reason the caller should read: carries a stable code and, where nodes are to
 * blame, each node with its reason. Anything else a step throws becomes `step_failed`.
 */
export class StepFailure extends Error {
  override readonly name = 'StepFailure';
  constructor(
    readonly code: string,
    message: string,
    readonly nodes: readonly { address: string; reason: string }[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The problem details stored on a failed operation. */
export function toProblem(error: unknown, stepTitle: string): Problem {
  if (error instanceof StepFailure) {
    return {
      type: `urn:slotsmith:problem:${error.code}`,
      title: `Step failed: ${stepTitle}`,
      status: 422,
      detail: error.message,
      code: error.code,
      ...(error.nodes.length > 0 ? { nodes: error.nodes.map((n) => ({ ...n })) } : {}),
    };
  }
  // Redis-side refusals (busy_keys, key_too_big, slot_not_on_source...) keep their stable code.
  if (error instanceof DomainError) {
    return { type: `urn:slotsmith:problem:${error.code}`, title: `Step failed: ${stepTitle}`, status: 422, detail: error.message, code: error.code };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    type: 'urn:slotsmith:problem:step_failed',
    title: `Step failed: ${stepTitle}`,
    status: 500,
    detail: message,
    code: 'step_failed',
  };
}
