import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { DomainError } from '../../src/domain/errors.ts';
import { parseInput } from '../../src/service/parseInput.ts';

const schema = z.strictObject({
  to: z.string().min(1).max(300).optional(),
  from: z.array(z.string()).min(1).max(1000).optional(),
  slots: z.number().int('must be an integer').min(1, 'must be at least 1').optional(),
  migration: z.enum(['auto', 'atomic', 'keys']).optional(),
  dryRun: z.boolean().optional(),
  weights: z.record(z.string(), z.number()).optional(),
  waitSeconds: z.coerce.number().int().min(0).max(60).optional(),
  required: z.string(),
});

/** The field errors parseInput throws for `input`, as pointer -> reason. */
function reasons(input: unknown): Record<string, string> {
  try {
    parseInput(schema, input);
  } catch (err) {
    assert.ok(err instanceof DomainError && err.kind === 'invalid', String(err));
    return Object.fromEntries(err.fields.map((e) => [e.pointer, e.reason]));
  }
  assert.fail('parsed');
}

test('a field of the wrong type is named with the type it must have, a missing one as required', () => {
  assert.deepEqual(reasons({ to: 23001, from: '127.0.0.1:23000', slots: '2000', dryRun: 'yes', weights: { a: 'heavy' } }), {
    '/to': 'must be a string', '/from': 'must be an array', '/slots': 'must be a number', '/dryRun': 'must be true or false',
    '/weights/a': 'must be a number', '/required': 'is required',
  });
  assert.deepEqual(reasons({ required: 'x', slots: 1.5 }), { '/slots': 'must be an integer' });
  assert.deepEqual(reasons({ required: 'x', waitSeconds: 'abc' }), { '/waitSeconds': 'must be a number' });
  assert.deepEqual(reasons({ required: 'x', waitSeconds: '1.5' }), { '/waitSeconds': 'must be an integer' });
});

test('bounds and choices are said in the API\'s words; a message of our own is kept', () => {
  assert.deepEqual(reasons({ required: 'x', from: [], waitSeconds: '-1', migration: 'fast', slots: 0, to: '' }), {
    '/from': 'must list at least 1 item', '/waitSeconds': 'must be at least 0', '/migration': 'must be one of "auto", "atomic", "keys"',
    '/slots': 'must be at least 1', '/to': 'must be at least 1 character long',
  });
  assert.deepEqual(reasons({ required: 'x', waitSeconds: '61', extra: 1 }), { '/waitSeconds': 'must be at most 60', '/extra': 'unknown field' });
});
