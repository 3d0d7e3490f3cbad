import { Redis } from 'ioredis';
import { eventually } from './eventually.ts';
import type { RedisNode } from './redisNodes.ts';

/** What the build runs with (see buildTutorialCluster). */
const BUILD_SETTINGS = { 'cluster-node-timeout': '500', 'repl-diskless-sync-delay': '0' };

/**
 * Builds a cluster the way the seed tutorial does it by hand, with plain commands and nothing of
 * slotsmith: one `CLUSTER ADDSLOTS` per slot on each of the first `masters` nodes, `CLUSTER MEET`
 * from the first node to every other, `CLUSTER REPLICATE` on the rest (in turn over the masters),
 * then waits until every node says `cluster_state:ok`, every replica's link is up, every node
 * sees the same roles and slots, and the config
 * masters' config epochs no longer collide (Redis settles them itself).
 *
 * For the build only, as slotsmith's own create does, the nodes run with `cluster-node-timeout`
 * 500 ms and `repl-diskless-sync-delay` 0 (restored at the end): a master that joins waits the
 * node timeout (capped at 5 s) before it says `cluster_state:ok`, and a master waits 5 s for more
 * replicas before a replica's first sync, which made each build here take 6-8 s.
 */
export async function buildTutorialCluster(nodes: readonly RedisNode[], masters: number, password?: string): Promise<void> {
  const clients = nodes.map((n) => new Redis({ host: n.host, port: n.port, lazyConnect: true, maxRetriesPerRequest: 1, ...(password ? { password } : {}) }));
  try {
    await Promise.all(clients.map((c) => c.connect()));
    const originals = await Promise.all(clients.map(async (c) => (await c.call('CONFIG', 'GET', ...Object.keys(BUILD_SETTINGS))) as string[]));
    await Promise.all(clients.map((c) => c.call('CONFIG', 'SET', ...Object.entries(BUILD_SETTINGS).flat())));
    const per = Math.floor(16384 / masters);
    await Promise.all(clients.slice(0, masters).map(async (c, i) => {
      const first = i * per;
      const last = i === masters - 1 ? 16383 : first + per - 1;
      const pipeline = c.pipeline();
      for (let slot = first; slot <= last; slot += 1) pipeline.call('CLUSTER', 'ADDSLOTS', String(slot));
      await pipeline.exec();
    }));
    for (const n of nodes.slice(1)) await clients[0]!.call('CLUSTER', 'MEET', n.host, String(n.port));
    const idOf = async (c: Redis) => String(await c.call('CLUSTER', 'MYID'));
    const masterIds = await Promise.all(clients.slice(0, masters).map(idOf));
    await eventually(async () => {
      const views = await Promise.all(clients.map((c) => c.call('CLUSTER', 'NODES') as Promise<string>));
      return views.every((v) => v.trim().split('\n').length === nodes.length && !v.includes('handshake')) ? true : undefined;
    }, 20_000);
    await Promise.all(clients.slice(masters).map((c, i) => c.call('CLUSTER', 'REPLICATE', masterIds[i % masters]!)));
    await eventually(async () => {
      const infos = await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO') as Promise<string>));
      const links = await Promise.all(clients.slice(masters).map((c) => c.info('replication')));
      const views = await Promise.all(clients.map((c) => c.call('CLUSTER', 'NODES') as Promise<string>));
      const epochs = views[0]!.trim().split('\n').filter((l) => l.split(' ')[2]!.includes('master')).map((l) => l.split(' ')[6]);
      // Every node sees the same roles, masters, epochs and slots (gossip has settled).
      const normalised = views.map((v) => v.trim().split('\n').map((l) => { const f = l.split(' '); return [f[0], f[2]!.replace('myself,', ''), f[3], f[6], ...f.slice(8)].join(' '); }).sort().join('\n'));
      return infos.every((i) => i.includes('cluster_state:ok')) && links.every((l) => l.includes('master_link_status:up'))
        && new Set(epochs).size === epochs.length && normalised.every((v) => v === normalised[0])
        ? true : undefined;
    }, 30_000, 200);
    await Promise.all(clients.map((c, i) => c.call('CONFIG', 'SET', ...originals[i]!)));
  } finally {
    for (const c of clients) c.disconnect();
  }
}
