import type { Redis } from 'ioredis';
import { countSlots } from '../domain/slotRange.ts';
import { compareVersions, type ServerInfo } from '../domain/serverCapabilities.ts';
import { connectNode, NodeConnectError, type ConnectOptions } from './connectNode.ts';
import type { NodeAuth } from './nodeAuth.ts';
import { parseInfo } from './parseInfo.ts';
import { clusterViewFromText } from './readClusterView.ts';

/** The oldest Redis slotsmith works with (CLUSTER ADDSLOTSRANGE, the 7.0 CLUSTER NODES format). */
export const MIN_REDIS_VERSION = '7.0.0';

/** Whether a node can join a new cluster, and if not, why. */
export interface NodeProbe {
  readonly address: string;
  readonly ok: boolean;
  /** Human-readable, e.g. `holds 3 keys`, `not in cluster mode (cluster_enabled:0)`. */
  readonly problems: string[];
  readonly redisVersion: string | null;
  /** Flavour and own version (see `serverInfoOf`); null when the node did not answer. */
  readonly server: ServerInfo | null;
  readonly nodeId: string | null;
}

/**
 * The server behind an `INFO server` reply: Valkey says `server_name:valkey` and `valkey_version`
 * (its `redis_version` stays 7.2.x for clients), Redis only `redis_version`.
 */
export function serverInfoOf(info: ReadonlyMap<string, string>): ServerInfo {
  const valkey = info.get('server_name') === 'valkey' || info.has('valkey_version');
  return { flavour: valkey ? 'valkey' : 'redis', version: (valkey ? info.get('valkey_version') : undefined) ?? info.get('redis_version') ?? 'unknown' };
}

/**
 * Checks, without changing anything, that a node can become part of a new cluster: reachable (and
 * the credentials work), `cluster_enabled:1`, Redis >= 7.0.0, no keys in any database, knows only
 * itself, serves no slots. One pipelined round trip after connecting.
 *
 * @example (await probeNode('10.0.0.5:7000')).problems // [] or ['holds 3 keys', ...]
 */
export async function probeNode(address: string, auth?: NodeAuth, opts: ConnectOptions = {}): Promise<NodeProbe> {
  let client: Redis;
  try {
    client = await connectNode(address, auth, opts);
  } catch (err) {
    const problem =
      err instanceof NodeConnectError && err.reason === 'auth_failed'
        ? `authentication failed: ${err.detail}`
        : `unreachable: ${err instanceof NodeConnectError ? err.detail : (err as Error).message}`;
    return { address, ok: false, problems: [problem], redisVersion: null, server: null, nodeId: null };
  }
  try {
    return await inspect(address, client);
  } catch (err) {
    return { address, ok: false, problems: [`probe failed: ${(err as Error).message}`], redisVersion: null, server: null, nodeId: null };
  } finally {
    client.disconnect();
  }
}

async function inspect(address: string, client: Redis): Promise<NodeProbe> {
  // Separate INFO sections: multi-section INFO only exists since 7.0, and older nodes must still be
  // reported as "too old" rather than failing the probe.
  const replies = await client.pipeline().info('server').info('cluster').info('keyspace').exec();
  const [server, cluster, keyspace] = (replies ?? []).map(([err, value]) => {
    if (err) throw err;
    return parseInfo(String(value));
  });
  if (!server || !cluster || !keyspace) throw new Error('INFO returned nothing');

  const problems: string[] = [];
  const redisVersion = server.get('redis_version') ?? null;
  if (redisVersion === null) problems.push('unknown Redis version');
  else if (compareVersions(redisVersion, MIN_REDIS_VERSION) < 0) {
    problems.push(`Redis ${redisVersion} is too old (need >= ${MIN_REDIS_VERSION})`);
  }

  const keys = [...keyspace]
    .filter(([name]) => /^db\d+$/.test(name))
    .reduce((sum, [, value]) => sum + Number(/(?:^|,)keys=(\d+)/.exec(value)?.[1] ?? 0), 0);
  if (keys > 0) problems.push(`holds ${keys} ${keys === 1 ? 'key' : 'keys'}`);

  const clusterEnabled = cluster.get('cluster_enabled') ?? '0';
  let nodeId: string | null = null;
  if (clusterEnabled !== '1') {
    problems.push(`not in cluster mode (cluster_enabled:${clusterEnabled})`);
  } else {
    const view = clusterViewFromText(String(await client.call('CLUSTER', 'NODES')), address);
    nodeId = view.myself.id;
    const others = view.nodes.length - 1;
    if (others > 0) problems.push(`already knows ${others} other ${others === 1 ? 'node' : 'nodes'}`);
    const slots = countSlots(view.myself.slots);
    if (slots > 0) problems.push(`already serves ${slots} ${slots === 1 ? 'slot' : 'slots'}`);
  }
  return { address, ok: problems.length === 0, problems, redisVersion, server: serverInfoOf(server), nodeId };
}
