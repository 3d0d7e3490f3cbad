import type { Redis } from 'ioredis';

/** The `host:port` a client was created for, for error messages. */
export function addressOf(client: Redis): string {
  return `${client.options.host ?? '?'}:${client.options.port ?? '?'}`;
}
