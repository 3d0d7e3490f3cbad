import { MIGRATE_TIMEOUT_MS } from '../domain/timeouts.ts';
import { NodeConnections } from '../redis/nodeConnections.ts';
import type { StepContext } from './stepContext.ts';

/**
 * Runs `fn` with connections fit for MIGRATE with `migrateTimeoutMs`: the step's own when the
 * timeout is the default, else connections whose command timeout outlasts the MIGRATE timeout
 * (a client giving up first would leave the source mid-MIGRATE), closed afterwards.
 */
export async function withMigrateConnections<T>(ctx: StepContext, migrateTimeoutMs: number, fn: (connections: NodeConnections) => Promise<T>): Promise<T> {
  if (migrateTimeoutMs <= MIGRATE_TIMEOUT_MS.default) return fn(ctx.connections);
  const own = new NodeConnections(ctx.cluster.auth ?? undefined, { commandTimeoutMs: migrateTimeoutMs + 5_000 });
  try {
    return await fn(own);
  } finally {
    await own.closeAll();
  }
}
