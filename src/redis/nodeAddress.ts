import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';

/** A node address split into host and port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Splits `host:port` (IPv6 as `[::1]:6379` or `::1:6379`, the last colon separates the port).
 *
 * @example parseAddress('10.0.0.5:7000') // { host: '10.0.0.5', port: 7000 }
 */
export function parseAddress(address: string): HostPort {
  const colon = address.lastIndexOf(':');
  let host = colon > 0 ? address.slice(0, colon) : '';
  const portText = colon > 0 ? address.slice(colon + 1) : '';
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(portText);
  if (host === '' || !/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new DomainError('invalid', 'invalid_address', `invalid node address "${address}": expected host:port`);
  }
  return { host, port };
}

/** The `host:port` a client was created for, for error messages. */
export function addressOf(client: Redis): string {
  return `${client.options.host ?? '?'}:${client.options.port ?? '?'}`;
}
