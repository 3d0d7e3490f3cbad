import type { Redis } from 'ioredis';
import { compareVersions } from '../domain/serverCapabilities.ts';
import { parseInfo } from './parseInfo.ts';
import { serverInfoOf } from './probeNode.ts';

/**
 * Connections to one node over which a batch of `CLUSTER SETSLOT` calls is spread, the first being
 * the node's ordinary client. One connection is the usual case.
 */
export type NodeLanes = readonly [Redis, ...Redis[]];

/**
 * Connections per node for SETSLOT batches on Valkey primaries with replicas. Valkey >= 8
 * replicates every `CLUSTER SETSLOT` to the primary's replicas and blocks the calling client until
 * they acknowledge it (`clusterCommandSetSlot` -> `blockClientForReplicaAck` in
 * valkey-io/valkey src/cluster_legacy.c), so a pipeline on one connection pays one replica round
 * trip per command (~30 s for 2730 slots on a 3x1 cluster here), while clients blocked on
 * different connections are released together by one acknowledgement. Measured here: 32
 * connections moved the same slots in 1.0-4.6 s, 64 were no faster. Every SETSLOT still waits
 * for its replicas, so Valkey's guarantee holds; on Redis, and on Valkey without replicas, more
 * connections were 20-40% slower, so they keep one.
 */
export const VALKEY_SETSLOT_LANES = 32;

/** Valkey releases that replicate SETSLOT and wait for the replicas (8.0.0 release notes). */
const REPLICATED_SETSLOT_SINCE = '8.0.0';

/**
 * How many connections a SETSLOT batch on this node should use: {@link VALKEY_SETSLOT_LANES} on a
 * Valkey >= 8 primary with connected replicas, else 1. One `INFO` round trip.
 */
export async function setSlotLaneCount(client: Redis): Promise<number> {
  const info = parseInfo(String(await client.info()));
  const server = serverInfoOf(info);
  if (server.flavour !== 'valkey' || compareVersions(server.version, REPLICATED_SETSLOT_SINCE) < 0) return 1;
  return info.get('role') === 'master' && Number(info.get('connected_slaves') ?? 0) > 0 ? VALKEY_SETSLOT_LANES : 1;
}

/** The client or lanes given to a setSlot function, as lanes. */
export function lanesOf(client: Redis | NodeLanes): NodeLanes {
  return Array.isArray(client) ? (client as NodeLanes) : [client as Redis];
}
