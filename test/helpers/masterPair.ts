import type { Redis } from 'ioredis';
import type { MigrateTarget } from '../../src/redis/migrateCommand.ts';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';
import { buildCluster, type BuiltNode } from './buildCluster.ts';
import { startRedisNodes } from './redisNodes.ts';

/** Two masters of one cluster, for moving keys from `a` (through `source`) to `b` (`target`). */
export interface MasterPair {
  readonly a: BuiltNode;
  readonly b: BuiltNode;
  readonly source: Redis;
  readonly dest: Redis;
  /** `b` as MIGRATE's target. */
  readonly target: MigrateTarget;
  readonly connections: NodeConnections;
  stop(): Promise<void>;
}

/** Starts two nodes and builds a 2-master cluster of them; `stop` closes the clients and the nodes. */
export async function startMasterPair(connections = new NodeConnections()): Promise<MasterPair> {
  const set = await startRedisNodes(2);
  try {
    const [a, b] = (await buildCluster(set.nodes, { masters: 2, replicasPerShard: 0 })).masters as [BuiltNode, BuiltNode];
    const [source, dest] = [await connections.get(a.address), await connections.get(b.address)];
    return {
      a, b, source, dest, connections,
      target: { ip: '127.0.0.1', port: set.nodes[1]!.port, client: dest },
      async stop() {
        await connections.closeAll();
        await set.stop();
      },
    };
  } catch (err) {
    await connections.closeAll();
    await set.stop();
    throw err;
  }
}
