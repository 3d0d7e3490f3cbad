import { DomainError, invalidInput } from './errors.ts';
import type { SlotMove } from './slotMove.ts';
import { canReadDumpsOf, dumpIncompatibility } from './dumpCompatibility.ts';
import { capabilitiesOf, describeServer, type AtomicDialect, type ServerInfo } from './serverCapabilities.ts';

/** What a caller asks for: `auto` (the default), `atomic` or `keys`. */
export type MigrationRequest = 'auto' | 'atomic' | 'keys';

/** The requests a caller may make, for validation. */
export const MIGRATION_REQUESTS: readonly MigrationRequest[] = ['auto', 'atomic', 'keys'];

/**
 * How an operation's slots move: key by key with `MIGRATE` (the cluster specification's live
 * resharding, every server), or by the servers' own atomic slot migration in the dialect they
 * speak. Frozen into the plan with the reason it was chosen.
 */
export type MigrationEngine =
  | { readonly kind: 'keys'; readonly reason: string }
  | { readonly kind: 'atomic'; readonly dialect: AtomicDialect; readonly reason: string };

/**
 * Chooses the engine of an operation's moves. `keys` is always possible. `auto` is atomic when
 * every source and target speaks the same atomic dialect, else keys. `atomic` is atomic under
 * that same condition and otherwise refused before anything starts: a 409
 * `atomic_migration_unsupported` naming each node that lacks it. A key move into a node that cannot
 * read the source's DUMP format is refused too (`dump_format_incompatible`). `serverOf` answers a
 * node id with what it runs (null: unknown, counts as lacking atomic migration).
 *
 * @example
 *   chooseMigration('auto', moves, (id) => ({ flavour: 'valkey', version: '9.1.2' }))
 *   // { kind: 'atomic', dialect: 'valkey', reason: 'every source and target runs Valkey 9.1.2, which migrates slots atomically' }
 */
export function chooseMigration(
  request: MigrationRequest,
  moves: readonly SlotMove[],
  serverOf: (nodeId: string) => ServerInfo | null,
  opts: { readonly maxKeysPerSecond?: number | undefined } = {},
): MigrationEngine {
  const engine = chooseEngine(request, moves, serverOf, opts);
  if (engine.kind === 'keys') requireReadableDumps(moves, serverOf);
  return engine;
}

/**
 * Refuses (409 `dump_format_incompatible`) a key move into a node that cannot load what the source
 * sends (see `canReadDumpsOf`): MIGRATE would fail on the first key and leave the slot open, and
 * neither finishing nor repeating the move could succeed. Nodes whose server is unknown pass.
 */
function requireReadableDumps(moves: readonly SlotMove[], serverOf: (nodeId: string) => ServerInfo | null): void {
  for (const m of moves) {
    if (m.slotCount === 0) continue;
    const [source, target] = [serverOf(m.from.id), serverOf(m.to.id)];
    if (source && target && !canReadDumpsOf(target, source)) {
      throw new DomainError('precondition', 'dump_format_incompatible', `${dumpIncompatibility(m.from.address, source, m.to.address, target)}; move slots toward nodes of the same or a newer version`);
    }
  }
}

function chooseEngine(
  request: MigrationRequest,
  moves: readonly SlotMove[],
  serverOf: (nodeId: string) => ServerInfo | null,
  opts: { readonly maxKeysPerSecond?: number | undefined },
): MigrationEngine {
  if (request === 'keys') return { kind: 'keys', reason: 'the key engine (MIGRATE) was asked for' };
  // A rate limit is kept by pacing MIGRATE; the servers' own jobs cannot be paced.
  if (opts.maxKeysPerSecond !== undefined) {
    if (request === 'atomic') throw invalidInput([{ pointer: '/maxKeysPerSecond', reason: 'cannot be kept by atomic slot migration; use "migration": "keys" or leave "migration" out' }]);
    return { kind: 'keys', reason: 'a key rate limit (maxKeysPerSecond) was asked for, which only the key engine can keep' };
  }
  const ends = new Map<string, string>();
  for (const m of moves) {
    if (m.slotCount === 0) continue;
    ends.set(m.from.id, m.from.address);
    ends.set(m.to.id, m.to.address);
  }
  if (ends.size === 0) return { kind: 'keys', reason: 'nothing to move' };
  const servers = [...ends].map(([id, address]) => ({ address, server: serverOf(id) }));
  const dialects = new Set(servers.map((s) => (s.server ? capabilitiesOf(s.server).atomicSlotMigration : null)));
  const [dialect] = dialects;
  if (dialects.size === 1 && dialect) {
    const names = [...new Set(servers.map((s) => describeServer(s.server!)))].join(', ');
    return { kind: 'atomic', dialect, reason: `every source and target runs ${names}, which ${servers.length > 1 && names.includes(',') ? 'all migrate' : 'migrates'} slots atomically` };
  }
  const lacking = servers.filter((s) => !s.server || capabilitiesOf(s.server).atomicSlotMigration === null);
  const why = lacking.length > 0
    ? lacking.map((s) => `${s.address} runs ${s.server ? describeServer(s.server) : 'an unknown server'}`).join(', ')
    : `the nodes speak different atomic migrations (${servers.map((s) => `${s.address}: ${describeServer(s.server!)}`).join(', ')})`;
  if (request === 'atomic') {
    throw new DomainError('precondition', 'atomic_migration_unsupported',
      `"migration": "atomic" needs atomic slot migration (Valkey >= 9.0 or Redis >= 8.4) on every source and target, but ${why}; use "auto" or "keys" to move key by key`);
  }
  return { kind: 'keys', reason: lacking.length > 0 ? `${why}, without atomic slot migration (Valkey >= 9.0 or Redis >= 8.4), so keys move with MIGRATE` : `${why}, so keys move with MIGRATE` };
}
