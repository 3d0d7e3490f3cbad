import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import { addressOf } from './clientAddress.ts';
import { sleep } from './sleep.ts';
import { readClusterView } from './readClusterView.ts';

/** How long to wait, how often to look, and a signal to stop waiting. */
export interface WaitUntilKnowsOptions {
  readonly timeoutMs: number;
  /** Poll interval; default 20 ms (one CLUSTER NODES per poll). */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Waits until the node behind `client` knows every node in `nodeIds` by id (handshake finished),
 * which `CLUSTER REPLICATE` needs for its master. Throws a DomainError (`unavailable`,
 * `node_not_known`) naming the missing ids on timeout, and the signal's reason when aborted.
 */
export async function waitUntilKnows(client: Redis, nodeIds: readonly string[], opts: WaitUntilKnowsOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    opts.signal?.throwIfAborted();
    const { nodes } = await readClusterView(client);
    const known = new Set(nodes.filter((n) => !n.flags.includes('handshake')).map((n) => n.id));
    const missing = nodeIds.filter((id) => !known.has(id));
    if (missing.length === 0) return;
    if (Date.now() >= deadline) {
      throw new DomainError(
        'unavailable',
        'node_not_known',
        `${addressOf(client)} still does not know node(s) ${missing.join(', ')} after ${opts.timeoutMs} ms`,
      );
    }
    await sleep(opts.intervalMs ?? 20, opts.signal);
  }
}
