import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Clients whose node refused our scripts for good (scripting denied by ACL, no shebang flags): they use pipelines. */
const refused = new WeakSet<Redis>();

/** A Lua script run by its SHA1, loaded with `EVAL` when the node does not know it yet. */
export interface NodeScript {
  readonly source: string;
  readonly sha: string;
}

export function nodeScript(source: string): NodeScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** Whether scripts may be tried on the node behind `client` (none of ours was refused there for good). */
export function mayRunScripts(client: Redis): boolean {
  return !refused.has(client);
}

/**
 * Remembers that the node behind `client` refuses our scripts when `error` says so for good (no
 * permission, scripting or the shebang flags unknown), so later calls go straight to pipelines.
 * Other errors (out of memory, busy) concern one call only.
 */
export function noteScriptRefusal(client: Redis, error: Error): void {
  if (/NOPERM|unknown command|shebang|Unexpected flag|Unknown flag/i.test(error.message)) refused.add(client);
}

type ScriptArgs = readonly (string | number | Buffer)[];

/** `EVALSHA` (no declared keys), falling back to `EVAL` when the node does not have the script yet; replies as Buffers. */
export async function runNodeScript(client: Redis, script: NodeScript, args: ScriptArgs): Promise<unknown> {
  try {
    return await client.callBuffer('EVALSHA', script.sha, 0, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !/NOSCRIPT/.test(err.message)) throw err;
    return loadNodeScript(client, script, args);
  }
}

/** `EVAL` (no declared keys): runs the script and leaves it cached on the node for `EVALSHA`. */
export function loadNodeScript(client: Redis, script: NodeScript, args: ScriptArgs): Promise<unknown> {
  return client.callBuffer('EVAL', script.source, 0, ...args);
}
