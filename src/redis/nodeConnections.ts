import type { Redis } from 'ioredis';
import { connectNode, type ConnectOptions } from './connectNode.ts';
import { ConnectionPool } from './connectionPool.ts';
import type { NodeAuth } from './nodeAuth.ts';

/**
 * Caches one ready client per node address, so a step that talks to the same node many times
 * reuses the connection. A client that has closed (node restarted, connection lost) is replaced
 * on the next `get`; a failed connect is not cached. With a `pool`, connections are taken from it
 * before connecting and given back to it by `closeAll` (see {@link ConnectionPool}).
 *
 * @example
 *   const connections = new NodeConnections(auth);
 *   try { await (await connections.get('10.0.0.5:7000')).ping(); } finally { await connections.closeAll(); }
 */
export class NodeConnections {
  readonly #pending = new Map<string, Promise<Redis>>();
  /** Extra connections per address (see `lanes`), closed with the rest. */
  readonly #extra = new Map<string, Promise<Redis>[]>();

  constructor(
    private readonly auth?: NodeAuth,
    private readonly options: ConnectOptions = {},
    private readonly pool?: ConnectionPool,
  ) {}

  /** A pooled connection to `address` when the pool has one, else a new one. */
  #connect(address: string): Promise<Redis> {
    const pooled = this.pool?.take(ConnectionPool.keyOf(address, this.auth, this.options));
    return pooled ? Promise.resolve(pooled) : connectNode(address, this.auth, this.options);
  }

  /** The cached client for `address`, connecting first when there is none or it has closed. */
  async get(address: string): Promise<Redis> {
    const cached = this.#pending.get(address);
    if (cached) {
      const client = await cached.catch(() => undefined);
      // Clients never reconnect, so anything but 'ready' is on its way out.
      if (client?.status === 'ready') return client;
      if (this.#pending.get(address) !== cached) return this.get(address);
    }
    const connecting = this.#connect(address);
    this.#pending.set(address, connecting);
    connecting.catch(() => {
      if (this.#pending.get(address) === connecting) this.#pending.delete(address);
    });
    return connecting;
  }

  /** Clients for all `addresses`, connected concurrently; rejects with the first connect error. */
  async getAll(addresses: readonly string[]): Promise<Map<string, Redis>> {
    const clients = await Promise.all(addresses.map((a) => this.get(a)));
    return new Map(addresses.map((a, i) => [a, clients[i] as Redis]));
  }

  /**
   * `count` ready clients of one node: the cached one first, then extra connections, kept until
   * `closeAll` (replaced when one closed). For commands that block on the server one connection at
   * a time (Valkey's SETSLOT waits for its replicas' acknowledgement, see `setSlotLaneCount`).
   */
  async lanes(address: string, count: number): Promise<Redis[]> {
    const first = await this.get(address);
    const extra = this.#extra.get(address) ?? [];
    for (let i = 0; i < count - 1; i++) {
      const cached = extra[i] ? await extra[i]!.catch(() => undefined) : undefined;
      if (cached?.status !== 'ready') extra[i] = this.#connect(address);
    }
    this.#extra.set(address, extra);
    return [first, ...(await Promise.all(extra.slice(0, count - 1)))];
  }

  /**
   * Closes every cached client at once (no QUIT round trip, so a hung node cannot block this), or
   * gives the ready ones back to the pool.
   */
  async closeAll(): Promise<void> {
    const all = [...this.#pending.entries(), ...[...this.#extra.entries()].flatMap(([a, list]) => list.map((c) => [a, c] as const))];
    this.#pending.clear();
    this.#extra.clear();
    await Promise.all(all.map(async ([address, pending]) => {
      const client = await pending.catch(() => undefined);
      if (!client) return;
      if (this.pool) this.pool.give(ConnectionPool.keyOf(address, this.auth, this.options), client);
      else client.disconnect();
    }));
  }
}
