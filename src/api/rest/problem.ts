import { HTTP_STATUS, problemType, type ProblemView } from '../../contract/problem.ts';
import { DomainError } from '../../domain/errors.ts';

/** A problem+json body: the same shape as an operation's error, without the node list. */
export type ProblemBody = Omit<ProblemView, 'nodes'>;

const TITLE: Readonly<Record<number, string>> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** Problem details (RFC 9457) with our stable `code`; `errors` point into the request. */
export function problem(status: number, code: string, detail: string, errors?: ProblemBody['errors']): ProblemBody {
  return {
    type: problemType(code),
    title: TITLE[status] ?? 'Error',
    status,
    detail,
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/**
 * The one place where anything thrown becomes an HTTP problem. Body-parser errors carry their own
 * status (400 bad JSON, 413 too large, 415 charset); anything unknown is a 500 without internals.
 */
export function problemFromError(err: unknown): ProblemBody {
  if (err instanceof DomainError) return problem(HTTP_STATUS[err.kind], err.code, err.message, [...err.fields]);
  const e = err as { type?: string; status?: number; message?: string };
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    const code = e.type === 'entity.parse.failed' ? 'malformed_json'
      : e.type === 'entity.too.large' ? 'payload_too_large'
      : e.type === 'charset.unsupported' || e.type === 'encoding.unsupported' ? 'unsupported_encoding'
      : 'bad_request';
    const detail = code === 'malformed_json' ? 'the request body is not valid JSON'
      : code === 'payload_too_large' ? 'the request body is larger than 1 MiB'
      : e.message ?? 'bad request';
    return problem(e.status, code, detail);
  }
  return problem(500, 'internal', 'an unexpected error occurred; the service logs have the details');
}
