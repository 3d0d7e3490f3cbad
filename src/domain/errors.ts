/**
 * Domain errors carry a stable machine `code` and a `kind`; each transport maps the kind to its own
 * status (REST problem+json status, gRPC status code). Only the edges know about HTTP or gRPC.
 *
 * @example
 *   throw new DomainError('conflict', 'cluster_exists', 'cluster "c1" already exists');
 */
export type ErrorKind =
  | 'invalid'          // REST 400, gRPC INVALID_ARGUMENT
  | 'media_type'       // 415 (a REST body that is not JSON), INVALID_ARGUMENT
  | 'not_found'        // 404, NOT_FOUND
  | 'conflict'         // 409, ALREADY_EXISTS
  | 'precondition'     // 409, FAILED_PRECONDITION
  | 'aborted'          // 409, ABORTED
  | 'unprocessable'    // 422, INVALID_ARGUMENT
  | 'unauthenticated'  // 401, UNAUTHENTICATED
  | 'forbidden'        // 403, PERMISSION_DENIED
  | 'unavailable'      // 503, UNAVAILABLE
  | 'internal';        // 500, INTERNAL

/** One problem with one input field; `pointer` is a JSON pointer (RFC 6901) into the request. */
export interface FieldError {
  readonly pointer: string;
  readonly reason: string;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly fields: readonly FieldError[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Builds the `invalid` error for a list of field problems, with a readable summary message. */
export function invalidInput(fields: readonly FieldError[], code = 'invalid_argument'): DomainError {
  const summary = fields.map((f) => `${f.pointer || '/'}: ${f.reason}`).join('; ');
  return new DomainError('invalid', code, `invalid request: ${summary}`, fields);
}

/** Coerces any caught value into an Error once, keeping the original as `cause`. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value), { cause: value });
}
