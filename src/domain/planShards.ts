import { parseNodeAddress } from './nodeAddress.ts';
import type { ShardPlan } from './operation.ts';
import { placeReplicas } from './placeReplicas.ts';
import { splitSlots } from './splitSlots.ts';

/**
 * Groups validated, normalised node addresses into shards: `n / (1 + replicasPerShard)` masters,
 * each with `replicasPerShard` replicas; shard i serves the i-th range of `splitSlots`.
 *
 * Masters are spread over hosts round-robin, as `redis-cli --cluster create` does, so a host holds
 * at most one master more than any other host that still had nodes to give. Hosts are visited
 * smallest first: an extra master on a big host would leave more of that host's nodes to place
 * and fewer shards they may replicate without sharing their master's host. Replicas are then
 * placed optimally by `placeReplicas` (fewest replicas on their master's host, then fewest
 * replicas of one shard on one host). A host is the host part of the address: two DNS names of
 * one machine count as two hosts, since the domain layer does no resolution.
 *
 * Deterministic: the same input gives the same plan. Throws RangeError on input that
 * `validateClusterTopology` would refuse.
 *
 * @example
 *   planShards(['a:1', 'a:2', 'b:1', 'b:2', 'c:1', 'c:2'], 1)
 *   // masters a:1, b:1, c:1; replicas c:2 -> a:1, a:2 -> b:1, b:2 -> c:1 (none on its master's host)
 */
export function planShards(addresses: readonly string[], replicasPerShard: number): ShardPlan[] {
  if (!Number.isInteger(replicasPerShard) || replicasPerShard < 0) {
    throw new RangeError(`replicasPerShard must be an integer >= 0, got ${replicasPerShard}`);
  }
  if (addresses.length % (1 + replicasPerShard) !== 0) {
    throw new RangeError(`${addresses.length} nodes cannot form shards of ${1 + replicasPerShard}`);
  }
  const masterCount = addresses.length / (1 + replicasPerShard);
  const slots = splitSlots(masterCount);
  const hosts = groupByHost(addresses);

  const masters: { address: string; host: number }[] = [];
  const visitOrder = hosts.map((_, h) => h).sort((a, b) => hosts[a]!.length - hosts[b]!.length || a - b);
  for (let round = 0; masters.length < masterCount; round++) {
    for (const h of visitOrder) {
      const address = hosts[h]![round];
      if (address !== undefined && masters.length < masterCount) masters.push({ address, host: h });
    }
  }

  const isMaster = new Set(masters.map((m) => m.address));
  const spare = hosts.map((nodes) => nodes.filter((address) => !isMaster.has(address)));
  const counts = placeReplicas(spare.map((nodes) => nodes.length), masters.map((m) => m.host), replicasPerShard);
  // splice hands out each host's spare nodes in input order, each node to exactly one shard
  return masters.map((master, index) => ({
    index,
    master: master.address,
    replicas: spare.flatMap((nodes, h) => nodes.splice(0, counts[h]?.[index] ?? 0)),
    slots: [slots[index]!],
  }));
}

/** Addresses grouped by host, hosts in order of first appearance, addresses in input order. */
function groupByHost(addresses: readonly string[]): string[][] {
  const byHost = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const address of addresses) {
    const parsed = parseNodeAddress(address);
    if (!parsed.ok || parsed.address !== address) throw new RangeError(`not a normalised node address: ${address}`);
    if (seen.has(address)) throw new RangeError(`duplicate node address: ${address}`);
    seen.add(address);
    const group = byHost.get(parsed.host);
    if (group) group.push(address);
    else byHost.set(parsed.host, [address]);
  }
  return [...byHost.values()];
}
