import assert from 'node:assert/strict';
import type { Cluster } from 'ioredis';

/** What a writer did: per key the round last acknowledged and the round last attempted. */
export interface WriterResult {
  readonly acknowledged: ReadonlyMap<string, number>;
  readonly attempted: ReadonlyMap<string, number>;
  /** Acknowledged writes in all. */
  readonly writes: number;
  /** Reads right after an acknowledged write that saw another value. */
  readonly readMismatches: number;
}

/**
 * A cluster client writing `keys` keys (`<prefix>:0` ...) round after round, each write's value
 * its round number, and reading each back right after, until `stop`. A write that fails is not
 * acknowledged: its value may or may not have landed, which `assertAcknowledgedWrites` allows.
 *
 * @example
 *   const writer = startClusterWriter(client, 'live');
 *   try { ...reshard... } finally { result = await writer.stop(); }
 */
export function startClusterWriter(client: Cluster, prefix: string, keys = 200): { stop(): Promise<WriterResult> } {
  const acknowledged = new Map<string, number>();
  const attempted = new Map<string, number>();
  let writes = 0;
  let readMismatches = 0;
  let stopped = false;
  const running = (async () => {
    for (let round = 1; !stopped; round++) {
      for (let i = 0; i < keys && !stopped; i++) {
        const key = `${prefix}:${i}`;
        attempted.set(key, round);
        try {
          await client.set(key, String(round));
          acknowledged.set(key, round);
          writes++;
          if ((await client.get(key)) !== String(round)) readMismatches++;
        } catch {
          // Not acknowledged: the value may or may not have been written.
        }
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await running;
      return { acknowledged, attempted, writes, readMismatches };
    },
  };
}

/** Every acknowledged write is still readable: each key holds its acknowledged round or a later attempted one. */
export async function assertAcknowledgedWrites(client: Cluster, result: WriterResult): Promise<void> {
  for (const [key, round] of result.acknowledged) {
    const value = Number(await client.get(key));
    assert.ok(value >= round && value <= result.attempted.get(key)!, `${key}: acknowledged ${round}, now ${value}`);
  }
}
