import type { Redis } from 'ioredis';

/**
 * Reads some `CONFIG` parameters of the node behind `client` in one `CONFIG GET` (several names
 * at once: Redis >= 7.0, Valkey). Names the server does not know are absent from the result.
 *
 * @example await readConfig(client, ['cluster-node-timeout']) // { 'cluster-node-timeout': '15000' }
 */
export async function readConfig(client: Redis, names: readonly string[]): Promise<Record<string, string>> {
  if (names.length === 0) return {};
  const reply = (await client.call('CONFIG', 'GET', ...names)) as string[];
  const values: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) values[reply[i]!] = reply[i + 1]!;
  return values;
}

/** One parameter to put back: from the value an operation left, to the node's own. */
export interface ConfigReset {
  readonly name: string;
  readonly from: string;
  readonly to: string;
}

/**
 * Puts parameters back on the node behind `client`, each only while it still has the value it was
 * left with (`from`): one changed since by someone else is theirs and stays. One `CONFIG GET`, and
 * one `CONFIG SET` for those to change; safe to run twice.
 *
 * @returns per parameter: `reset` (set now), `already` (has `to`), `changed` (neither: left alone).
 */
export async function resetConfig(client: Redis, resets: readonly ConfigReset[]): Promise<Record<string, 'reset' | 'already' | 'changed'>> {
  const current = await readConfig(client, resets.map((r) => r.name));
  const outcome: Record<string, 'reset' | 'already' | 'changed'> = {};
  const set: string[] = [];
  for (const r of resets) {
    const value = current[r.name];
    if (value === r.to) outcome[r.name] = 'already';
    else if (value === r.from) {
      outcome[r.name] = 'reset';
      set.push(r.name, r.to);
    } else outcome[r.name] = 'changed';
  }
  if (set.length > 0) await client.call('CONFIG', 'SET', ...set);
  return outcome;
}
