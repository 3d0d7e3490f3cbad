import type { Redis } from 'ioredis';
import { readClusterView } from './readClusterView.ts';

/** How often a master that took a write between FLUSHALL and RESET is flushed again. */
const ATTEMPTS = 3;

/**
 * Takes a node out of its cluster for good, as releasing a cluster with `reset` asks: a master is
 * emptied (`FLUSHALL`, since Redis refuses to reset a master that holds keys) and every node is
 * reset with `CLUSTER RESET HARD` (it forgets every other node, drops its slots, becomes an empty
 * master with a new id). Destroys the node's data. Safe to run twice: a node that is already
 * alone and empty is reset again, which changes nothing that matters.
 */
export async function wipeNode(client: Redis): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const { myself } = await readClusterView(client);
    if (myself.role === 'master') await client.call('FLUSHALL');
    try {
      await client.call('CLUSTER', 'RESET', 'HARD');
      return;
    } catch (err) {
      // A client wrote between the two commands: flush again.
      if (attempt >= ATTEMPTS || !/containing keys/i.test((err as Error).message)) throw err;
    }
  }
}
