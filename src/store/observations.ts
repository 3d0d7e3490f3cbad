import type { ClusterHealth } from '../domain/clusterHealth.ts';
import type { ClusterSnapshot } from '../domain/clusterSnapshot.ts';
import type { Database, SqlSession } from './database.ts';
import { appendEventIn, type NewEvent, type Sql } from './events.ts';

/** The latest observation of a cluster and the health derived from it. */
export interface ObservationRecord {
  readonly observedAt: Date;
  readonly snapshot: ClusterSnapshot;
  readonly health: ClusterHealth;
}

/**
 * Leases the clusters this observer watches: those nobody watches, those whose watcher's lease
 * expired (it died), and its own (renewed). One statement, so two observers never hold one
 * cluster: a row another observer holds and has renewed is left out by the conflict clause. Returns
 * the ids of the clusters it holds now.
 */
export async function claimObserverLeases(db: Database, owner: string, leaseSeconds: number): Promise<string[]> {
  const rows = await db.query<{ cluster_id: string }>(`
    INSERT INTO observer_leases (cluster_id, owner, expires_at)
    SELECT c.id, $1, now() + make_interval(secs => $2::double precision)
    FROM clusters AS c LEFT JOIN observer_leases AS l ON l.cluster_id = c.id
    WHERE l.cluster_id IS NULL OR l.owner = $1 OR l.expires_at <= now()
    ON CONFLICT (cluster_id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
      WHERE observer_leases.owner = EXCLUDED.owner OR observer_leases.expires_at <= now()
    RETURNING cluster_id`, [owner, leaseSeconds]);
  return rows.map((r) => r.cluster_id);
}

/** Gives up every lease of `owner` now (it is stopping), so another observer takes over at its next tick. */
export async function releaseObserverLeases(db: Database, owner: string): Promise<void> {
  await db.query('DELETE FROM observer_leases WHERE owner = $1', [owner]);
}

/** Which observer holds each cluster's lease now, by cluster id (for tests and status). */
export async function observerLeases(db: Database): Promise<Map<string, { owner: string; expiresAt: Date }>> {
  const rows = await db.prisma.observerLease.findMany();
  return new Map(rows.map((r) => [r.clusterId, { owner: r.owner, expiresAt: r.expiresAt }]));
}

/** The latest observation of cluster `clusterId`, or null when it was never observed. */
export async function getObservation(db: Database, clusterId: string): Promise<ObservationRecord | null> {
  const row = await db.prisma.clusterObservation.findUnique({ where: { clusterId } });
  return row ? { observedAt: row.observedAt, snapshot: row.observation as unknown as ClusterSnapshot, health: row.health as unknown as ClusterHealth } : null;
}

/**
 * Stores an observation and the events it gave rise to, in one transaction that first locks the
 * cluster's previous observation: `derive` is handed that previous one (null at the first look)
 * and returns what to store, so two observers of one cluster (a lease holder and a `refresh`)
 * never report one transition twice. An observation older than the stored one is dropped
 * (`derive` is not called). Returns whether it was stored.
 */
export async function saveObservation(
  db: Database,
  clusterId: string,
  observedAt: Date,
  derive: (previous: ObservationRecord | null) => { snapshot: ClusterSnapshot; health: ClusterHealth; events: readonly NewEvent[] },
): Promise<boolean> {
  // Raw SQL in one transaction: this runs for every cluster at every look.
  return db.transaction(async (tx) => {
    const locked = await tx.query<{ observed_at: Date; observation: unknown; health: unknown }>(
      'SELECT observed_at, observation, health FROM cluster_observations WHERE cluster_id = $1::uuid FOR UPDATE', [clusterId]);
    const row = locked[0];
    const previous = row ? { observedAt: new Date(row.observed_at), snapshot: row.observation as ClusterSnapshot, health: row.health as ClusterHealth } : null;
    if (previous && previous.observedAt > observedAt) return false;
    const { snapshot, health, events } = derive(previous);
    await tx.query(`
      INSERT INTO cluster_observations (cluster_id, observed_at, observation, health) VALUES ($1::uuid, $2, $3::jsonb, $4::jsonb)
      ON CONFLICT (cluster_id) DO UPDATE SET observed_at = EXCLUDED.observed_at, observation = EXCLUDED.observation, health = EXCLUDED.health`,
    [clusterId, observedAt, JSON.stringify(snapshot), JSON.stringify(health)]);
    for (const event of events) await appendEventIn(sqlOf(tx), event);
    return true;
  });
}

/** What a look at a cluster needs from the database besides the cluster, read in one statement. */
export interface ObservationContext {
  /** The spec's addresses of the nodes whose Redis id is known, by that id. */
  readonly specAddressOf: ReadonlyMap<string, string>;
  /** The operation of the cluster that is queued or running, if any. */
  readonly current: { readonly id: string; readonly kind: string; readonly status: string } | null;
  /** Whether an operation ran since the previous look (or one runs now): slotsmith's changes are not news. */
  readonly ranSince: boolean;
}

/** See {@link ObservationContext}; one round trip, as it runs for every cluster at every look. */
export async function observationContext(db: Database, clusterId: string): Promise<ObservationContext> {
  const [row] = await db.query<{ nodes: { address: string; id: string }[]; current: { id: string; kind: string; status: string } | null; ran_since: boolean }>(`
    SELECT
      (SELECT coalesce(json_agg(json_build_object('address', n.address, 'id', n.redis_node_id)), '[]'::json)
         FROM nodes AS n WHERE n.cluster_id = $1::uuid AND n.redis_node_id IS NOT NULL) AS nodes,
      (SELECT json_build_object('id', o.id, 'kind', o.kind, 'status', o.status) FROM operations AS o
         WHERE o.cluster_id = $1::uuid AND o.status IN ('queued', 'running', 'cancelling') ORDER BY o.created_at LIMIT 1) AS current,
      EXISTS (SELECT 1 FROM operations AS o WHERE o.cluster_id = $1::uuid AND (o.status IN ('queued', 'running', 'cancelling')
         OR o.finished_at >= (SELECT observed_at FROM cluster_observations WHERE cluster_id = $1::uuid))) AS ran_since`, [clusterId]);
  return {
    specAddressOf: new Map((row?.nodes ?? []).map((n) => [n.id, n.address])),
    current: row?.current ?? null,
    ranSince: row?.ran_since ?? false,
  };
}

/** A raw SQL session as the `Sql` that `appendEventIn` takes. */
function sqlOf(tx: SqlSession): Sql {
  return { $queryRawUnsafe: ((query: string, ...values: unknown[]) => tx.query(query, values)) as Sql['$queryRawUnsafe'] };
}
