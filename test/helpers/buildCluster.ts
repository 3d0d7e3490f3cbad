import type { Redis } from 'ioredis';
import { splitSlots } from '../../src/domain/splitSlots.ts';
import { addSlotsRange } from '../../src/redis/addSlotsRange.ts';
import { meetAll } from '../../src/redis/meetAll.ts';
import { myNodeId } from '../../src/redis/myNodeId.ts';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';
import { waitForReadiness } from '../../src/redis/readiness.ts';
import { replicate } from '../../src/redis/replicate.ts';
import { setConfigEpoch } from '../../src/redis/setConfigEpoch.ts';
import type { Tunables } from '../../src/domain/stepParams.ts';
import { applyTunables } from '../../src/redis/tunables.ts';
import { waitUntilKnows } from '../../src/redis/waitUntilKnows.ts';
import type { RedisNode } from './redisNodes.ts';

/** A node of a built cluster. */
export interface BuiltNode {
  readonly id: string;
  readonly address: string;
}

/** What {@link buildCluster} made: masters in slot order (master i serves `splitSlots(n)[i]`), replicas with their master. */
export interface BuiltCluster {
  readonly masters: BuiltNode[];
  readonly replicas: (BuiltNode & { readonly masterId: string })[];
}

const FAST: Tunables = { 'repl-diskless-sync-delay': '0', 'cluster-node-timeout': '500' };

/**
 * Builds a ready cluster from the redis/ primitives (the way the create operation does): the
 * first `masters` nodes get the slots split as redis-cli does, the next ones replicate them in
 * turn. Lowers the two tunables for the build and restores each node's own values afterwards.
 *
 * @example const { masters } = await buildCluster(set.nodes, { masters: 3, replicasPerShard: 0 });
 */
export async function buildCluster(
  nodes: readonly RedisNode[],
  opts: { masters: number; replicasPerShard: number; password?: string },
): Promise<BuiltCluster> {
  const needed = opts.masters * (1 + opts.replicasPerShard);
  if (nodes.length < needed) throw new Error(`need ${needed} nodes, got ${nodes.length}`);
  const connections = new NodeConnections(opts.password === undefined ? undefined : { password: opts.password });
  const previous = new Map<string, Tunables>();
  try {
    const addresses = nodes.slice(0, needed).map((n) => n.address);
    const clients = await connections.getAll(addresses);
    const client = (a: string): Redis => clients.get(a) as Redis;
    for (const a of addresses) previous.set(a, (await applyTunables(client(a), FAST)).previous);
    await Promise.all(addresses.map((a, i) => setConfigEpoch(client(a), i + 1)));
    const ranges = splitSlots(opts.masters);
    const masterAddresses = addresses.slice(0, opts.masters);
    await Promise.all(masterAddresses.map((a, i) => addSlotsRange(client(a), [ranges[i]!])));
    await meetAll(clients, new Map(addresses.map((a) => [a, '127.0.0.1'])));
    const ids = new Map(await Promise.all(addresses.map(async (a) => [a, await myNodeId(client(a))] as const)));
    const replicas = addresses.slice(opts.masters).map((address, i) => {
      const masterAddress = masterAddresses[i % opts.masters]!;
      return { id: ids.get(address)!, address, masterId: ids.get(masterAddress)! };
    });
    await Promise.all(
      replicas.map(async (r) => {
        await waitUntilKnows(client(r.address), [r.masterId], { timeoutMs: 10_000 });
        await replicate(client(r.address), r.masterId);
      }),
    );
    const readiness = await waitForReadiness(clients, { timeoutMs: 20_000 });
    if (!readiness.ready) throw new Error(`cluster not ready: ${JSON.stringify(readiness.problems.slice(0, 5))}`);
    return { masters: masterAddresses.map((address) => ({ id: ids.get(address)!, address })), replicas };
  } finally {
    const clients = await connections.getAll([...previous.keys()]).catch(() => new Map<string, Redis>());
    await Promise.all([...previous].map(async ([a, p]) => clients.get(a) && applyTunables(clients.get(a)!, p)));
    await connections.closeAll();
  }
}
