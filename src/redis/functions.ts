import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import { addressOf } from './clientAddress.ts';

/** The function libraries a node holds: their names, sorted, and one digest of names and code. */
export interface FunctionLibraries {
  readonly names: readonly string[];
  /** sha256 over every library's name and code; equal digests mean equal libraries. */
  readonly digest: string;
}

/** The digest of a node without libraries. */
export const NO_LIBRARIES: FunctionLibraries = librariesOf([]);

/**
 * The function libraries of the node behind `client` (`FUNCTION LIST WITHCODE`, Redis >= 7.0).
 * Functions live on each master and reach replicas by replication, so every master serving slots
 * must hold the same libraries, or `FCALL` on keys of some slots answers "Function not found".
 *
 * @example (await readFunctionLibraries(client)).names // ['mylib']
 */
export async function readFunctionLibraries(client: Redis): Promise<FunctionLibraries> {
  const reply = (await client.call('FUNCTION', 'LIST', 'WITHCODE')) as unknown[];
  const libraries = reply.map((entry) => {
    const fields = new Map<string, unknown>();
    const list = entry as unknown[];
    for (let i = 0; i + 1 < list.length; i += 2) fields.set(String(list[i]), list[i + 1]);
    return { name: String(fields.get('library_name') ?? ''), code: String(fields.get('library_code') ?? '') };
  });
  return librariesOf(libraries);
}

function librariesOf(libraries: readonly { name: string; code: string }[]): FunctionLibraries {
  const sorted = [...libraries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const hash = createHash('sha256');
  for (const lib of sorted) hash.update(`${lib.name}\0${lib.code}\0`);
  return { names: sorted.map((l) => l.name), digest: hash.digest('hex') };
}

/**
 * Copies every function library of `source` to `target`, which holds none (`FUNCTION DUMP` on
 * the source, `FUNCTION RESTORE` on the target, as `redis-cli --cluster add-node` does). Throws
 * a DomainError (`precondition`, `functions_differ`) when the target already holds libraries that
 * differ from the source's; a target holding the same ones is left alone. Resolves true when it
 * copied.
 */
export async function copyFunctionLibraries(source: Redis, target: Redis): Promise<boolean> {
  const [from, to] = await Promise.all([readFunctionLibraries(source), readFunctionLibraries(target)]);
  if (from.digest === to.digest) return false;
  if (to.names.length > 0) {
    throw new DomainError('precondition', 'functions_differ',
      `${addressOf(target)} holds the function libraries ${to.names.join(', ') || '(none)'}, which differ from those of ${addressOf(source)} (${from.names.join(', ') || 'none'}); FCALL would answer differently on its slots`);
  }
  const payload = (await source.callBuffer('FUNCTION', 'DUMP')) as Buffer;
  await target.call('FUNCTION', 'RESTORE', payload);
  return true;
}
