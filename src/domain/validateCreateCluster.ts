import type { FieldError } from './errors.ts';
import { parseNodeAddress } from './nodeAddress.ts';
import { SLOT_COUNT } from './slotRange.ts';

/** Redis Cluster needs a majority of masters to agree on a failover; below 3 masters one failure stops it. */
export const MIN_MASTERS = 3;

/** The nodes of a cluster to create and how many replicas each master gets. */
export interface ClusterTopologyInput {
  readonly nodes: readonly string[];
  readonly replicasPerShard: number;
}

/**
 * Checks a requested topology and returns the normalised addresses (same order as `nodes`), or
 * every problem found, each with a JSON pointer into the request.
 *
 * @example
 *   validateClusterTopology({ nodes: ['10.0.0.1:7000'], replicasPerShard: 0 })
 *   // { ok: false, errors: [{ pointer: '/nodes', reason: 'this gives 1 master (1 node in shards of 1); a cluster needs at least 3 masters, so at least 3 nodes' }] }
 */
export function validateClusterTopology(
  input: ClusterTopologyInput,
): { ok: true; addresses: string[] } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const addresses: string[] = [];
  const firstIndexOf = new Map<string, number>();
  input.nodes.forEach((text, i) => {
    const parsed = parseNodeAddress(text);
    if (!parsed.ok) return errors.push({ pointer: `/nodes/${i}`, reason: parsed.reason });
    const first = firstIndexOf.get(parsed.address);
    if (first !== undefined) return errors.push({ pointer: `/nodes/${i}`, reason: `duplicate of /nodes/${first}` });
    firstIndexOf.set(parsed.address, i);
    addresses.push(parsed.address);
  });

  const replicas = input.replicasPerShard;
  if (!Number.isInteger(replicas) || replicas < 0) {
    errors.push({ pointer: '/replicasPerShard', reason: 'must be an integer >= 0' });
  } else {
    const countError = checkNodeCount(input.nodes.length, replicas);
    if (countError !== null) errors.push({ pointer: '/nodes', reason: countError });
  }
  return errors.length === 0 ? { ok: true, addresses } : { ok: false, errors };
}

function checkNodeCount(nodeCount: number, replicas: number): string | null {
  const shardSize = 1 + replicas;
  if (nodeCount % shardSize !== 0) {
    const fewer = nodeCount - (nodeCount % shardSize);
    const options = fewer > 0 ? `${fewer} or ${fewer + shardSize}` : `${shardSize}`;
    const subject = nodeCount === 1 ? '1 node does' : `${nodeCount} nodes do`;
    return `${subject} not divide into shards of ${shardSize} (1 master + ${plural(replicas, 'replica')}): use ${options} nodes`;
  }
  const masters = nodeCount / shardSize;
  const gives = `this gives ${plural(masters, 'master')} (${plural(nodeCount, 'node')} in shards of ${shardSize})`;
  if (masters < MIN_MASTERS) {
    return `${gives}; a cluster needs at least ${MIN_MASTERS} masters, so at least ${MIN_MASTERS * shardSize} nodes`;
  }
  if (masters > SLOT_COUNT) return `${gives}; at most ${SLOT_COUNT} masters are possible (one per hash slot)`;
  return null;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * Returns why a cluster name is not allowed, or null when it is. Names are DNS labels (1-63
 * lowercase letters, digits and '-', starting with a letter, not ending with '-'), so they are
 * safe in URLs, metric labels and host names.
 *
 * @example
 *   validateClusterName('orders-eu-1') // null
 *   validateClusterName('Orders')      // 'must start with a lowercase letter'
 */
export function validateClusterName(name: string): string | null {
  if (name.length < 1 || name.length > 63) return 'must be 1 to 63 characters long';
  if (!/^[a-z]/.test(name)) return 'must start with a lowercase letter';
  if (!/^[a-z0-9-]*$/.test(name)) return "may only contain lowercase letters, digits and '-'";
  if (name.endsWith('-')) return "must not end with '-'";
  return null;
}
