import * as grpc from '@grpc/grpc-js';
import { DomainError, type ErrorKind } from '../../domain/errors.ts';

const CODE: Record<ErrorKind, grpc.status> = {
  invalid: grpc.status.INVALID_ARGUMENT,
  media_type: grpc.status.INVALID_ARGUMENT,
  not_found: grpc.status.NOT_FOUND,
  conflict: grpc.status.ALREADY_EXISTS,
  precondition: grpc.status.FAILED_PRECONDITION,
  aborted: grpc.status.ABORTED,
  unprocessable: grpc.status.INVALID_ARGUMENT,
  unauthenticated: grpc.status.UNAUTHENTICATED,
  forbidden: grpc.status.PERMISSION_DENIED,
  unavailable: grpc.status.UNAVAILABLE,
  internal: grpc.status.INTERNAL,
};

/**
 * Maps anything thrown to a gRPC status. The message starts with the stable code in brackets and the
 * trailing metadata carries it (and field errors as JSON), so clients need not parse text.
 */
export function toGrpcError(err: unknown): grpc.StatusObject {
  const metadata = new grpc.Metadata();
  if (err instanceof DomainError) {
    metadata.set('slotsmith-error-code', err.code);
    if (err.fields.length > 0) metadata.set('slotsmith-field-errors', JSON.stringify(err.fields));
    return { code: CODE[err.kind], details: `[${err.code}] ${err.message}`, metadata };
  }
  metadata.set('slotsmith-error-code', 'internal');
  return { code: grpc.status.INTERNAL, details: '[internal] an unexpected error occurred; the service logs have the details', metadata };
}
