import type { Redis } from 'ioredis';
import type { NodeProblem } from '../domain/operation.ts';
import { readReplicaMigration, setReplicaMigration } from '../redis/replicaMigration.ts';
import { ensureMasterAuth } from '../redis/replicationAuth.ts';
import { applyTunables, readTunables } from '../redis/tunables.ts';
import { resetConfig, type ConfigReset } from '../redis/configValues.ts';
import type { Tunables } from '../domain/stepParams.ts';
import type { ExecutorsOf, StepContext } from './stepContext.ts';
import { StepFailure } from './stepFailure.ts';

/**
 * The nodes' own values, read once before anything changes and saved on the step; a resumed run
 * reuses what was saved, so a crash between "set" and "save" can never make the changed values
 * look like the user's own.
 */
async function originalsOnce<T>(
  saved: Readonly<Record<string, T>> | undefined,
  clients: ReadonlyMap<string, Redis>,
  read: (client: Redis) => Promise<T>,
  save: (originals: Record<string, T>) => Promise<void>,
): Promise<Readonly<Record<string, T>>> {
  if (saved) return saved;
  const values = await Promise.all([...clients].map(async ([a, client]) => [a, await read(client)] as const));
  const originals = Object.fromEntries(values);
  await save(originals);
  return originals;
}

/**
 * Puts every saved value back, trying every node even when one fails (one unreachable node must
 * not leave the others changed); fails naming each node that could not be restored. Resolves with
 * what `restore` answered per address.
 */
async function restoreEach<T, R>(ctx: StepContext, originals: Readonly<Record<string, T>>, what: string, restore: (client: Redis, value: T) => Promise<R>): Promise<Map<string, R>> {
  const entries = Object.entries(originals);
  const results = await Promise.allSettled(entries.map(async ([a, value]) => restore(await ctx.connections.get(a), value)));
  const failed = entries.flatMap(([address], i): NodeProblem[] => {
    const r = results[i];
    return r?.status === 'rejected' ? [{ address, reason: r.reason instanceof Error ? r.reason.message : String(r.reason) }] : [];
  });
  if (failed.length > 0) {
    throw new StepFailure('restore_failed', `could not restore ${what} of ${failed.map((f) => `${f.address} (${f.reason})`).join(', ')}`, failed);
  }
  return new Map(entries.map(([address], i) => [address, (results[i] as PromiseFulfilledResult<R>).value]));
}

/**
 * Settings the plan lowers for the duration of an operation (a create's replication delay and node
 * timeout; the node timeout of a node whose role changes), saved first, then set; `restore_config`
 * puts them back, also after a failure.
 */
export const configExecutors: ExecutorsOf<'tune_nodes' | 'restore_config' | 'set_master_auth' | 'hold_replica_migration' | 'restore_replica_migration' | 'restore_settings'> = {
  tune_nodes: async (ctx) => {
    const { nodes, settings, settingsOf = {} } = ctx.step.params;
    const clients = await ctx.connections.getAll(nodes);
    await originalsOnce(ctx.step.outputs?.originals, clients, readTunables, (originals) => ctx.saveOutputs({ originals }));
    const wanted = (a: string) => settingsOf[a] ?? settings;
    await Promise.all(nodes.map((a) => applyTunables(clients.get(a)!, wanted(a))));
    const said = (t: Tunables) => Object.entries(t).map(([k, v]) => `${k}=${v}`).join(', ');
    const groups = new Map<string, string[]>();
    for (const a of nodes) {
      const what = said(wanted(a));
      groups.set(what, [...(groups.get(what) ?? []), a]);
    }
    return { detail: [...groups].map(([what, on]) => `${what} on ${on.length === 1 ? on[0] : `${on.length} nodes`}`).join('; ') };
  },

  restore_config: async (ctx) => {
    const originals = ctx.outputsOf('tune_nodes')?.originals;
    if (!originals) return { detail: 'nothing was changed, nothing to restore' };
    const restored = await restoreEach(ctx, originals, 'the configuration', (client, values) => applyTunables(client, values));
    return { detail: `restored ${Object.keys(Object.values(originals)[0] ?? {}).join(', ')} on ${restored.size} nodes` };
  },

  /** Gives nodes without `masterauth` the cluster's credentials, so they can replicate (a node with its own keeps it). */
  set_master_auth: async (ctx) => {
    const { nodes } = ctx.step.params;
    const auth = ctx.cluster.auth;
    if (auth?.password === undefined) return { detail: 'the cluster has no password; nothing to set' };
    const clients = await ctx.connections.getAll(nodes);
    const changed = await Promise.all(nodes.map((a) => ensureMasterAuth(clients.get(a)!, auth)));
    const set = nodes.filter((_, i) => changed[i]);
    return { detail: set.length === 0 ? `all ${nodes.length} nodes have masterauth already` : `masterauth set on ${set.join(', ')}${set.length < nodes.length ? `; ${nodes.length - set.length} had their own` : ''}` };
  },

  /**
   * Keeps a master that is being drained a master until its last slot is gone (and its replicas
   * with it): with replica migration on, Redis turns a master that lost its last slot into a
   * replica of the node that took it, and the SETSLOT calls still in flight for that master then
   * fail ("Please use SETSLOT only with masters").
   */
  hold_replica_migration: async (ctx) => {
    const { nodes } = ctx.step.params;
    const clients = await ctx.connections.getAll(nodes);
    await originalsOnce(ctx.step.outputs?.originals, clients, readReplicaMigration, (originals) => ctx.saveOutputs({ originals }));
    await Promise.all(nodes.map((a) => setReplicaMigration(clients.get(a)!, 'no')));
    return { detail: `cluster-allow-replica-migration=no on ${nodes.join(', ')}` };
  },

  restore_replica_migration: async (ctx) => {
    const originals = ctx.outputsOf('hold_replica_migration')?.originals;
    if (!originals) return { detail: 'nothing was changed, nothing to restore' };
    const restored = await restoreEach(ctx, originals, 'cluster-allow-replica-migration', setReplicaMigration);
    return { detail: `restored cluster-allow-replica-migration on ${restored.size} nodes` };
  },

  /**
   * A fix puts back what finished operations left changed, each setting only while its node still
   * has the value it was left with (one changed since by someone else stays theirs).
   */
  restore_settings: async (ctx) => {
    const byNode = new Map<string, ConfigReset[]>();
    for (const s of ctx.step.params.settings) byNode.set(s.address, [...(byNode.get(s.address) ?? []), { name: s.name, from: s.value, to: s.restoreTo }]);
    const outcomes = await restoreEach(ctx, Object.fromEntries(byNode), 'the settings', (client, resets: ConfigReset[]) => resetConfig(client, resets));
    const said = [...byNode].flatMap(([address, resets]) => resets.map((r) => `${r.name}=${r.to} on ${address}${outcomes.get(address)?.[r.name] === 'changed' ? ' (changed since by someone else: left alone)' : ''}`));
    return { detail: `restored ${said.join(', ')}` };
  },
};
