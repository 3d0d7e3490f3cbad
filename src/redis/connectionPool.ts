import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ConnectOptions } from './connectNode.ts';
import type { NodeAuth } from './nodeAuth.ts';

/** How long an idle connection is kept for the next user unless the pool is told otherwise. */
export const DEFAULT_POOL_IDLE_MS = 60_000;
/** Idle connections kept per node and kind (enough for the SETSLOT lanes of `setSlotLanes`). */
const MAX_IDLE_PER_KEY = 32;

interface Idle {
  readonly client: Redis;
  readonly timer: NodeJS.Timeout;
}

/**
 * Idle node connections, kept a while after a user is done with them so the next one (the next
 * request's planning read, the next operation's steps) need not connect again: connecting to a
 * node costs a TCP handshake and the ready check, 2-3 ms each here, which a short operation paid
 * tens of times. A connection is lent to one user at a time ({@link NodeConnections} takes it
 * and gives it back in `closeAll`), so users never queue behind each other's commands.
 *
 * Connections are kept apart by address, credentials and timeouts (a client's timeouts are fixed
 * when it connects); one that is no longer ready is dropped when taken; each is closed after
 * `idleMs` without use.
 */
export class ConnectionPool {
  readonly #idle = new Map<string, Idle[]>();
  readonly #idleMs: number;

  constructor(opts: { idleMs?: number } = {}) {
    this.#idleMs = opts.idleMs ?? DEFAULT_POOL_IDLE_MS;
  }

  /** The key of connections to `address` with these credentials and timeouts. */
  static keyOf(address: string, auth: NodeAuth | undefined, options: ConnectOptions): string {
    // Credentials enter the key only as a digest: the pool keeps no copy of a password.
    const who = auth ? createHash('sha256').update(JSON.stringify([auth.username ?? null, auth.password ?? null])).digest('hex') : '-';
    return `${address}|${who}|${options.connectTimeoutMs ?? ''}|${options.commandTimeoutMs ?? ''}`;
  }

  /** A ready idle connection of `key`, now the caller's; undefined when there is none. */
  take(key: string): Redis | undefined {
    const idle = this.#idle.get(key);
    while (idle && idle.length > 0) {
      const { client, timer } = idle.pop()!;
      clearTimeout(timer);
      if (client.status === 'ready') return client;
      client.disconnect();
    }
    return undefined;
  }

  /** Takes back a connection its user is done with (closed at once when not ready or the pool is full). */
  give(key: string, client: Redis): void {
    const idle = this.#idle.get(key) ?? [];
    if (client.status !== 'ready' || idle.length >= MAX_IDLE_PER_KEY) {
      client.disconnect();
      return;
    }
    const timer = setTimeout(() => {
      const list = this.#idle.get(key);
      const i = list?.findIndex((e) => e.client === client) ?? -1;
      if (i >= 0) list!.splice(i, 1);
      if (list?.length === 0) this.#idle.delete(key);
      client.disconnect();
    }, this.#idleMs);
    timer.unref();
    idle.push({ client, timer });
    this.#idle.set(key, idle);
  }

  /** How many idle connections the pool holds (for tests and metrics). */
  size(): number {
    let n = 0;
    for (const list of this.#idle.values()) n += list.length;
    return n;
  }

  /** Closes every idle connection (at shutdown). */
  closeAll(): void {
    for (const list of this.#idle.values()) {
      for (const { client, timer } of list) {
        clearTimeout(timer);
        client.disconnect();
      }
    }
    this.#idle.clear();
  }
}
