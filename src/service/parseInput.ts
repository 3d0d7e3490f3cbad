import type { z } from 'zod';
import { invalidInput, type FieldError } from '../domain/errors.ts';
import { escapePointer, pointerOf } from '../domain/jsonPointer.ts';

/**
 * Parses untrusted input with a zod schema, or throws one `invalid` DomainError listing every field
 * problem with a JSON pointer, so REST and gRPC report bad input the same way.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidInput(result.error.issues.flatMap(toFieldErrors));
}

function toFieldErrors(issue: z.core.$ZodIssue): FieldError[] {
  const base = pointerOf(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ pointer: `${base}/${escapePointer(key)}`, reason: 'unknown field' }));
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [{ pointer: base, reason: 'is required' }];
  }
  return [{ pointer: base, reason: issue.message }];
}
