import type { Redis } from 'ioredis';
import type { Tunables } from '../domain/stepParams.ts';
import { readConfig } from './configValues.ts';

/** The settings a create lowers for its duration (see design.md: they decide how fast a new cluster is ready). */
export const TUNABLE_NAMES = ['repl-diskless-sync-delay', 'cluster-node-timeout'] as const;
/** One of {@link TUNABLE_NAMES}. */
export type TunableName = (typeof TUNABLE_NAMES)[number];

/** Reads the current tunables of the node behind `client` (one `CONFIG GET`). */
export async function readTunables(client: Redis): Promise<Record<TunableName, string>> {
  const values = await readConfig(client, TUNABLE_NAMES);
  const result = {} as Record<TunableName, string>;
  for (const name of TUNABLE_NAMES) {
    const value = values[name];
    if (value === undefined) throw new Error(`CONFIG GET did not return ${name}`);
    result[name] = value;
  }
  return result;
}

/**
 * Sets the given tunables (one `CONFIG SET` for those that differ). Returns the values they had
 * before, for every key in `wanted`, so `applyTunables(client, previous)` restores them exactly.
 *
 * @example
 *   const { previous } = await applyTunables(client, { 'cluster-node-timeout': '500' });
 *   try { ... } finally { await applyTunables(client, previous); }
 */
export async function applyTunables(client: Redis, wanted: Tunables): Promise<{ changed: boolean; previous: Tunables }> {
  const current = await readTunables(client);
  const previous: Record<string, string> = {};
  const changes: string[] = [];
  for (const name of TUNABLE_NAMES) {
    const value = wanted[name];
    if (value === undefined) continue;
    previous[name] = current[name];
    if (current[name] !== value) changes.push(name, value);
  }
  if (changes.length === 0) return { changed: false, previous };
  await client.call('CONFIG', 'SET', ...changes);
  return { changed: true, previous };
}
