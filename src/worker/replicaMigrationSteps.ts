import type { StepKind } from '../domain/operation.ts';
import { readReplicaMigration, setReplicaMigration } from '../redis/replicaMigration.ts';
import type { StepExecutor } from './stepContext.ts';
import { StepFailure } from './stepFailure.ts';

/**
 * Keeps a master that is being drained a master until its last slot is gone (and its replicas
 * with it): with replica migration on, Redis turns a master that lost its last slot into a
 * replica of the node that took it, and the SETSLOT calls still in flight for that master then
 * fail ("Please use SETSLOT only with masters"). The original values are saved before anything
 * changes, and a resumed run reuses them.
 */
const holdReplicaMigration: StepExecutor = async (ctx) => {
  const nodes = (ctx.step.params.nodes ?? []) as string[];
  let originals = ctx.step.outputs?.originals as Record<string, string> | undefined;
  const clients = await ctx.connections.getAll(nodes);
  if (!originals) {
    const read = await Promise.all(nodes.map(async (a) => [a, await readReplicaMigration(clients.get(a)!)] as const));
    originals = Object.fromEntries(read);
    await ctx.saveOutputs({ originals });
  }
  await Promise.all(nodes.map((a) => setReplicaMigration(clients.get(a)!, 'no')));
  return { detail: `cluster-allow-replica-migration=no on ${nodes.join(', ')}` };
};

/** Cleanup: puts back every value `hold_replica_migration` changed, trying every node even if one fails. */
const restoreReplicaMigration: StepExecutor = async (ctx) => {
  const hold = ctx.steps.find((s) => s.kind === 'hold_replica_migration');
  const originals = hold?.outputs?.originals as Record<string, string> | undefined;
  if (!originals) return { detail: 'nothing was changed, nothing to restore' };
  const entries = Object.entries(originals);
  const results = await Promise.allSettled(entries.map(async ([a, value]) => setReplicaMigration(await ctx.connections.get(a), value)));
  const failed = entries.flatMap(([address], i) => {
    const r = results[i];
    return r?.status === 'rejected' ? [{ address, reason: String((r.reason as Error)?.message ?? r.reason) }] : [];
  });
  if (failed.length > 0) {
    throw new StepFailure('restore_failed', `could not restore cluster-allow-replica-migration on ${failed.map((f) => `${f.address} (${f.reason})`).join(', ')}`, failed);
  }
  return { detail: `restored cluster-allow-replica-migration on ${entries.length} nodes` };
};

/** The executors that hold and restore replica migration around a drain. */
export const replicaMigrationExecutors: Readonly<Partial<Record<StepKind, StepExecutor>>> = {
  hold_replica_migration: holdReplicaMigration,
  restore_replica_migration: restoreReplicaMigration,
};
