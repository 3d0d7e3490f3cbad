import type { ClusterHealth } from '../domain/clusterHealth.ts';
import type { ClusterSnapshot } from '../domain/clusterSnapshot.ts';
import type { Database } from './database.ts';
import { appendEventIn, type NewEvent } from './events.ts';
import { toJson } from './values.ts';

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
  return db.prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRawUnsafe<{ observed_at: Date; observation: unknown; health: unknown }[]>(
      'SELECT observed_at, observation, health FROM cluster_observations WHERE cluster_id = $1::uuid FOR UPDATE', clusterId);
    const row = locked[0];
    const previous = row ? { observedAt: new Date(row.observed_at), snapshot: row.observation as ClusterSnapshot, health: row.health as ClusterHealth } : null;
    if (previous && previous.observedAt > observedAt) return false;
    const { snapshot, health, events } = derive(previous);
    await tx.clusterObservation.upsert({
      where: { clusterId },
      create: { clusterId, observedAt, observation: toJson(snapshot), health: toJson(health) },
      update: { observedAt, observation: toJson(snapshot), health: toJson(health) },
    });
    for (const event of events) await appendEventIn(tx, event);
    return true;
  });
}
