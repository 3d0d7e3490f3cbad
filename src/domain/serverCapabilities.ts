/** What a node said about its server in `INFO server`. */
export interface ServerInfo {
  /** `redis` or `valkey` (Valkey reports `server_name:valkey` and keeps `redis_version` at 7.2.x). */
  readonly flavour: 'redis' | 'valkey';
  /** The server's own version (`valkey_version` on Valkey, else `redis_version`). */
  readonly version: string;
}

/**
 * Which atomic slot migration a server speaks, if any:
 * - `valkey`: Valkey >= 9.0, `CLUSTER MIGRATESLOTS` on the source, `CLUSTER GETSLOTMIGRATIONS`,
 *   `CLUSTER CANCELSLOTMIGRATIONS` (valkey.io/commands/cluster-migrateslots);
 * - `redis`: Redis >= 8.4, `CLUSTER MIGRATION IMPORT|STATUS|CANCEL` on the target
 *   (redis.io/docs/latest/commands/cluster-migration).
 */
export type AtomicDialect = 'valkey' | 'redis';

/** What slotsmith can ask of a server beyond Redis 7.0. */
export interface ServerCapabilities {
  /** The atomic slot migration it speaks; null: only the key-by-key `MIGRATE` protocol. */
  readonly atomicSlotMigration: AtomicDialect | null;
}

/** The first versions with atomic slot migration (Valkey 9.0.0 and Redis 8.4.0 release notes). */
export const ATOMIC_SLOT_MIGRATION_SINCE = { valkey: '9.0.0', redis: '8.4.0' } as const;

/**
 * What a server can do, from its flavour and version.
 *
 * @example capabilitiesOf({ flavour: 'valkey', version: '9.1.2' }) // { atomicSlotMigration: 'valkey' }
 * @example capabilitiesOf({ flavour: 'redis', version: '7.0.15' }) // { atomicSlotMigration: null }
 */
export function capabilitiesOf(server: ServerInfo): ServerCapabilities {
  const since = ATOMIC_SLOT_MIGRATION_SINCE[server.flavour];
  return { atomicSlotMigration: compareVersions(server.version, since) >= 0 ? server.flavour : null };
}

/** A server as people name it: `Valkey 9.1.2`, `Redis 7.0.15`. */
export function describeServer(server: ServerInfo): string {
  return `${server.flavour === 'valkey' ? 'Valkey' : 'Redis'} ${server.version}`;
}

/** Compares dotted versions numerically (`7.0.15` > `7.0.2`); missing or odd parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
