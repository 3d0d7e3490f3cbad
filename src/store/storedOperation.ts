import type { ErrorKind } from '../domain/errors.ts';
import type { OperationError, Step } from '../domain/operation.ts';

/**
 * Reads the steps stored on an operation row. Rows written before `move_slots` carried its own
 * `masters` (they were read from the sibling `check_cluster` step then) get them from that step,
 * so an operation queued or interrupted by an older version still resumes.
 */
export function storedSteps(json: unknown): Step[] {
  const steps = json as Step[];
  const check = steps.find((s) => s.kind === 'check_cluster');
  return steps.map((s) => (s.kind === 'move_slots' && s.params.masters === undefined && check?.kind === 'check_cluster'
    ? { ...s, params: { ...s.params, masters: check.params.masters } }
    : s));
}

/**
 * Reads the error stored on an operation row. Rows written before errors carried a kind stored an
 * HTTP status instead: 500 was an unexpected failure, anything else a refusal by the cluster.
 */
export function storedError(json: unknown): OperationError | null {
  if (json === null || json === undefined) return null;
  const stored = json as OperationError & { status?: number; kind?: ErrorKind };
  if (stored.kind !== undefined) return stored;
  const { status, ...rest } = stored;
  return { ...rest, kind: status === 500 ? 'internal' : 'unprocessable' };
}
