import type { z } from 'zod';
import { invalidInput, type FieldError } from '../domain/errors.ts';
import { escapePointer, pointerOf } from '../domain/jsonPointer.ts';

/**
 * Parses untrusted input with a zod schema, or throws one `invalid` DomainError listing every field
 * problem with a JSON pointer, so REST and gRPC report bad input the same way.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  // The input of each issue tells a missing field from one of the wrong type (zod leaves it out unless asked).
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw invalidInput(result.error.issues.flatMap(toFieldErrors));
}

/** zod's own messages (`Invalid input: expected ...`, `Too small: ...`): replaced by a reason in the API's words. */
const ZOD_DEFAULT_MESSAGE = /^(Invalid|Too (small|big))\b/;

/** The API's words for a value of the wrong JSON type, by what zod expected. */
const MUST_BE: Readonly<Record<string, string>> = {
  int: 'must be an integer', number: 'must be a number', string: 'must be a string', boolean: 'must be true or false',
  array: 'must be an array', object: 'must be an object', tuple: 'must be an array',
};

function toFieldErrors(issue: z.core.$ZodIssue): FieldError[] {
  const base = pointerOf(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ pointer: `${base}/${escapePointer(key)}`, reason: 'unknown field' }));
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [{ pointer: base, reason: 'is required' }];
  }
  return [{ pointer: base, reason: ZOD_DEFAULT_MESSAGE.test(issue.message) ? reasonOf(issue) : issue.message }];
}

/** A reason for an issue zod described in its own words. */
function reasonOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return MUST_BE[issue.expected] ?? `must be ${issue.expected}`;
    case 'too_small':
    case 'too_big': {
      const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const least = issue.code === 'too_small';
      if (issue.origin === 'array' || issue.origin === 'set') return `must list ${least ? 'at least' : 'at most'} ${bound} ${bound === 1 ? 'item' : 'items'}`;
      if (issue.origin === 'string') return `must be ${least ? 'at least' : 'at most'} ${bound} ${bound === 1 ? 'character' : 'characters'} long`;
      if (issue.inclusive === false) return `must be ${least ? 'greater' : 'less'} than ${bound}`;
      return `must be ${least ? 'at least' : 'at most'} ${bound}`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}
