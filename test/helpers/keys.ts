import calculateSlot from 'cluster-key-slot';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';

/**
 * Writes `count` keys of `valueBytes` bytes straight to the masters that own their slots, in
 * pipelines of 10,000 (a cluster client would split pipelines per slot and be far slower).
 */
export async function loadKeys(masters: readonly { address: string; slots: readonly (readonly [number, number])[] }[], count: number, valueBytes: number, password?: string): Promise<void> {
  const connections = new NodeConnections(password ? { password } : undefined);
  try {
    const ownerOf = new Array<string>(16384);
    for (const m of masters) for (const [s, e] of m.slots) for (let slot = s; slot <= e; slot++) ownerOf[slot] = m.address;
    const value = 'v'.repeat(valueBytes);
    const batches = new Map<string, string[]>();
    const flush = async (address: string) => {
      const keys = batches.get(address) ?? [];
      if (keys.length === 0) return;
      batches.set(address, []);
      const pipeline = (await connections.get(address)).pipeline();
      for (const k of keys) pipeline.set(k, value);
      await pipeline.exec();
    };
    for (let i = 0; i < count; i++) {
      const key = `key:${i}`;
      const owner = ownerOf[calculateSlot(key)]!;
      const list = batches.get(owner) ?? [];
      list.push(key);
      batches.set(owner, list);
      if (list.length >= 10_000) await flush(owner);
    }
    for (const address of batches.keys()) await flush(address);
  } finally {
    await connections.closeAll();
  }
}

/** Total keys over the masters (DBSIZE), to check that nothing was lost. */
export async function countKeys(masters: readonly string[], password?: string): Promise<number> {
  const connections = new NodeConnections(password ? { password } : undefined);
  try {
    const sizes = await Promise.all(masters.map(async (a) => (await connections.get(a)).dbsize()));
    return sizes.reduce((n, s) => n + s, 0);
  } finally {
    await connections.closeAll();
  }
}

