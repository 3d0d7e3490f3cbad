import { isIP } from 'node:net';
import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import { addressOf } from './clientAddress.ts';
import { readClusterView } from './readClusterView.ts';

/**
 * Introduces the node at `ip:port` to the node behind `client` (`CLUSTER MEET ip port [busPort]`).
 * `ip` must be an IP (Redis does not resolve names; see `resolveHost`). Skips when this node
 * already knows a node at `ip:port` (also one still in handshake) or when `ip:port` is itself.
 *
 * @returns whether a MEET was sent.
 * @example await meet(client, '10.0.0.6', 7000)
 */
export async function meet(client: Redis, ip: string, port: number, busPort?: number): Promise<boolean> {
  if (isIP(ip) === 0) {
    throw new DomainError('invalid', 'meet_needs_ip', `CLUSTER MEET takes an IP, not "${ip}": resolve the name first`);
  }
  const target = `${ip}:${port}`;
  const { nodes, myself } = await readClusterView(client);
  if (nodes.some((n) => n.address === target)) return false;
  // A node that never met anyone reports its own address as ":port".
  const isSelf = myself.address === `:${port}` && client.options.host === ip && client.options.port === port;
  if (isSelf) return false;
  const args = busPort === undefined ? [ip, String(port)] : [ip, String(port), String(busPort)];
  try {
    await client.call('CLUSTER', 'MEET', ...args);
  } catch (err) {
    throw new DomainError('unavailable', 'meet_failed', `${addressOf(client)}: CLUSTER MEET ${target} failed: ${(err as Error).message}`, [], {
      cause: err,
    });
  }
  return true;
}
