import { DomainError } from '../domain/errors.ts';
import type { ClusterHealth } from '../domain/clusterHealth.ts';
import type { ClusterSnapshot } from '../domain/clusterSnapshot.ts';
import type { Database } from './database.ts';
import { appendEventsSql, eventsFromJson, eventsJson, type NewEvent } from './events.ts';

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
  return (await observationToServe(db, clusterId))?.observation ?? null;
}

/**
 * The latest observation of cluster `clusterId` for a read (null when it was never observed), and
 * whether an operation of the cluster ended after it: a run stores its look at the settled nodes
 * right after its end, so a read in between would show the cluster as it was before the change.
 */
export async function observationToServe(db: Database, clusterId: string): Promise<{ observation: ObservationRecord; endedSince: boolean } | null> {
  const [row] = await db.query<{ observed_at: Date; observation: unknown; health: unknown; ended_since: boolean }>(`
    SELECT p.observed_at, p.observation, p.health,
      EXISTS (SELECT 1 FROM operations AS o WHERE o.cluster_id = p.cluster_id AND o.finished_at > p.observed_at) AS ended_since
    FROM cluster_observations AS p WHERE p.cluster_id = $1::uuid`, [clusterId]);
  if (!row) return null;
  return {
    observation: { observedAt: new Date(row.observed_at), snapshot: row.observation as ClusterSnapshot, health: row.health as ClusterHealth },
    endedSince: row.ended_since,
  };
}

/**
 * Stores an observation and the events it gave rise to, together: `derive` is handed the
 * previous observation (null at the first look) and returns what to store, which is stored only
 * if the previous one is still the latest (else it is read again and `derive` asked again), so two
 * observers of one cluster (a lease holder and a `refresh`) never report one transition twice. An
 * observation older than the stored one is dropped (`derive` is not called). Returns whether it
 * was stored.
 */
export async function saveObservation(
  db: Database,
  clusterId: string,
  observedAt: Date,
  derive: (previous: ObservationRecord | null) => { snapshot: ClusterSnapshot; health: ClusterHealth; events: readonly NewEvent[] },
  /** The latest observation as the caller just read it (saves the first read); read here when absent. */
  known?: ObservationRecord | null,
): Promise<boolean> {
  // Two plain statements (a read, then a write that checks the read still holds) rather than a
  // locking transaction: this runs for every cluster at every look, and at the end of every
  // operation, where the transaction's five round trips cost 10-20 ms on the embedded database.
  for (let attempt = 0; attempt < 5; attempt++) {
    const previous = attempt === 0 && known !== undefined ? known : await getObservation(db, clusterId);
    if (previous && previous.observedAt > observedAt) return false;
    const { snapshot, health, events } = derive(previous);
    const append = appendEventsSql(eventsFromJson('$6', 'EXISTS (SELECT 1 FROM s)'));
    const [written] = await db.query<{ stored: number }>(`
      WITH s AS (
        INSERT INTO cluster_observations AS c (cluster_id, observed_at, observation, health) VALUES ($1::uuid, $2, $3::jsonb, $4::jsonb)
        ON CONFLICT (cluster_id) DO UPDATE SET observed_at = EXCLUDED.observed_at, observation = EXCLUDED.observation, health = EXCLUDED.health
        WHERE c.observed_at = $5::timestamptz
        RETURNING c.cluster_id
      ), ${append.ctes}
      SELECT (SELECT count(*) FROM s)::int AS stored, (SELECT count(*) FROM d)::int AS deliveries, ${append.notified}`,
    [clusterId, observedAt, JSON.stringify(snapshot), JSON.stringify(health), previous?.observedAt ?? null, eventsJson(events)]);
    if ((written?.stored ?? 0) > 0) return true;
  }
  throw new DomainError('aborted', 'concurrent_change', 'could not store the observation: others keep storing theirs');
}

/** What a look at a cluster needs from the database besides the cluster, read in one statement. */
export interface ObservationContext {
  /** The spec's addresses of the nodes whose Redis id is known, by that id. */
  readonly specAddressOf: ReadonlyMap<string, string>;
  /** The operation of the cluster that is queued or running, if any. */
  readonly current: { readonly id: string; readonly kind: string; readonly status: string } | null;
  /** Whether an operation ran since the previous look (or one runs now): slotsmith's changes are not news. */
  readonly ranSince: boolean;
  /** The latest stored observation, as read with the rest (for `saveObservation`'s first attempt). */
  readonly previous: ObservationRecord | null;
}

/** See {@link ObservationContext}; one round trip, as it runs for every cluster at every look. */
export async function observationContext(db: Database, clusterId: string): Promise<ObservationContext> {
  const [row] = await db.query<{
    nodes: { address: string; id: string }[]; current: { id: string; kind: string; status: string } | null; ran_since: boolean;
    observed_at: Date | null; observation: unknown; health: unknown;
  }>(`
    SELECT p.observed_at, p.observation, p.health,
      (SELECT coalesce(json_agg(json_build_object('address', n.address, 'id', n.redis_node_id)), '[]'::json)
         FROM nodes AS n WHERE n.cluster_id = $1::uuid AND n.redis_node_id IS NOT NULL) AS nodes,
      (SELECT json_build_object('id', o.id, 'kind', o.kind, 'status', o.status) FROM operations AS o
         WHERE o.cluster_id = $1::uuid AND o.status IN ('queued', 'running', 'cancelling') ORDER BY o.created_at LIMIT 1) AS current,
      EXISTS (SELECT 1 FROM operations AS o WHERE o.cluster_id = $1::uuid AND (o.status IN ('queued', 'running', 'cancelling')
         OR o.finished_at >= (SELECT observed_at FROM cluster_observations WHERE cluster_id = $1::uuid))) AS ran_since
    FROM (SELECT 1) AS one LEFT JOIN cluster_observations AS p ON p.cluster_id = $1::uuid`, [clusterId]);
  return {
    specAddressOf: new Map((row?.nodes ?? []).map((n) => [n.id, n.address])),
    current: row?.current ?? null,
    ranSince: row?.ran_since ?? false,
    previous: row?.observed_at ? { observedAt: new Date(row.observed_at), snapshot: row.observation as ClusterSnapshot, health: row.health as ClusterHealth } : null,
  };
}

