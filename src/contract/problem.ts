import type { ErrorKind, FieldError } from '../domain/errors.ts';
import type { NodeProblem, OperationError } from '../domain/operation.ts';

/**
 * RFC 9457 problem details with our stable machine `code`: the body of every REST error
 * (`application/problem+json`) and the `error` of a failed operation on both transports.
 */
export interface ProblemView {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  /** Field errors: a JSON pointer (RFC 6901) into the request, and the reason. */
  errors?: FieldError[];
  /** On a failed operation: the nodes to blame, and why. */
  nodes?: NodeProblem[];
}

/** The HTTP status of each kind of error (design.md's API conventions); gRPC maps kinds in its own table. */
export const HTTP_STATUS: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  media_type: 415,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition: 409,
  aborted: 409,
  unprocessable: 422,
  unavailable: 503,
  internal: 500,
};

/** The `type` URI of a problem with this code. */
export function problemType(code: string): string {
  return `urn:slotsmith:problem:${code}`;
}

/**
 * An operation's stored error as problem details.
 *
 * @example problemOfOperation({ kind: 'unprocessable', code: 'busy_keys', title: 'Step failed: ...', detail: '...' }).status // 422
 */
export function problemOfOperation(error: OperationError): ProblemView {
  return {
    type: problemType(error.code),
    title: error.title,
    status: HTTP_STATUS[error.kind],
    detail: error.detail,
    code: error.code,
    ...(error.nodes && error.nodes.length > 0 ? { nodes: error.nodes.map((n) => ({ address: n.address, reason: n.reason })) } : {}),
  };
}
