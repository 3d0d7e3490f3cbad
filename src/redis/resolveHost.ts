import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DomainError } from '../domain/errors.ts';

/**
 * Resolves a hostname to one IP for `CLUSTER MEET`, which accepts only IPs. IPv4 is preferred
 * (the usual cluster bus setup); an IPv6 address is returned only when the name has no IPv4 one.
 * IP literals (also `[::1]`) are returned unchanged, without a DNS query.
 *
 * @example await resolveHost('localhost') // '127.0.0.1'
 */
export async function resolveHost(host: string): Promise<string> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0) return bare;
  let lastError: unknown;
  for (const family of [4, 6] as const) {
    try {
      const { address } = await lookup(bare, { family });
      return address;
    } catch (err) {
      lastError = err;
    }
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new DomainError('invalid', 'unresolvable_host', `cannot resolve host "${bare}": ${reason}`, [], {
    cause: lastError,
  });
}
