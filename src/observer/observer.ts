import type { Logger } from '../logger.ts';
import { sleep } from '../redis/sleep.ts';
import { getClusterById } from '../store/clusters.ts';
import type { Database } from '../store/database.ts';
import { claimObserverLeases, releaseObserverLeases } from '../store/observations.ts';
import type { ClusterRecord } from '../store/records.ts';
import { NodeConnections } from '../redis/nodeConnections.ts';
import { LOOK_TIMEOUT_MS } from '../redis/observeCluster.ts';
import { observeOne } from './observeOne.ts';

/** How often the observer looks for clusters whose next look is due. */
const SCHEDULE_MS = 250;

export interface ObserverOptions {
  readonly db: Database;
  /** This process's name in observer leases. */
  readonly observerId: string;
  /** Seconds between two looks at a cluster (`OBSERVE_INTERVAL_SECONDS`). */
  readonly intervalSeconds: number;
  /** Clusters looked at at once. */
  readonly concurrency: number;
  readonly log: Logger;
  /**
   * Looks at one cluster and stores what it saw (default `observeOne`), on connections kept for
   * that cluster from one look to the next; the healer hooks in here.
   */
  readonly observe?: (cluster: ClusterRecord, connections: NodeConnections) => Promise<void>;
}

export interface RunningObserver {
  /** Stops looking and gives up its leases, so another observer takes over at its next tick. */
  stop(): Promise<void>;
}

/**
 * Watches every cluster between operations. Every half interval it renews its leases and takes
 * the clusters nobody watches (a lease lasts one and a half intervals, so a dead observer's
 * clusters are taken over within two intervals of its last renewal), and starts a look at each
 * cluster it holds whose previous look started an interval ago (checked every 250 ms, so the
 * looks at many clusters spread over the interval), `concurrency` at a time (see `observeOne`),
 * on connections kept per cluster. Lease renewal never waits for slow looks, so a cluster whose
 * nodes time out does not cost the others their lease. Scaled out on one PostgreSQL, each cluster is watched by
 * exactly one live observer.
 */
export function startObserver(opts: ObserverOptions): RunningObserver {
  const { db, log } = opts;
  const observe = opts.observe ?? ((cluster: ClusterRecord, connections: NodeConnections) => observeOne(db, cluster, { connections }));
  /** Per held cluster: its nodes' connections, kept between looks (closed when the cluster is given up). */
  const pools = new Map<string, NodeConnections>();
  const poolOf = (cluster: ClusterRecord): NodeConnections => {
    let pool = pools.get(cluster.id);
    if (!pool) {
      pool = new NodeConnections(cluster.auth ?? undefined, { connectTimeoutMs: LOOK_TIMEOUT_MS, commandTimeoutMs: LOOK_TIMEOUT_MS });
      pools.set(cluster.id, pool);
    }
    return pool;
  };
  const stopping = new AbortController();
  const intervalMs = opts.intervalSeconds * 1000;
  const leaseSeconds = opts.intervalSeconds * 1.5;
  /** When each held cluster's last look started. */
  const startedAt = new Map<string, number>();
  const running = new Set<Promise<void>>();
  const inFlight = new Set<string>();
  const queue: string[] = [];

  const look = async (id: string): Promise<void> => {
    try {
      const cluster = await getClusterById(db, id);
      if (cluster) await observe(cluster, poolOf(cluster));
    } catch (err) {
      log.warn('observing a cluster failed', { clusterId: id, error: String(err) });
    } finally {
      inFlight.delete(id);
    }
  };
  const drain = (): void => {
    while (running.size < opts.concurrency && queue.length > 0 && !stopping.signal.aborted) {
      const id = queue.shift()!;
      const p: Promise<void> = look(id).finally(() => {
        running.delete(p);
        drain();
      });
      running.add(p);
    }
  };
  let held = new Set<string>();
  let renewedAt = -Infinity;
  const renew = async (): Promise<void> => {
    held = new Set(await claimObserverLeases(db, opts.observerId, leaseSeconds));
    renewedAt = Date.now();
    for (const id of startedAt.keys()) if (!held.has(id)) startedAt.delete(id);
    // A cluster newly held gets its first look at a random point of the next interval, so that
    // the looks of many clusters spread out instead of running in step.
    for (const id of held) if (!startedAt.has(id)) startedAt.set(id, Date.now() - Math.random() * intervalMs);
    for (const [id, pool] of pools) {
      if (held.has(id) || inFlight.has(id)) continue;
      pools.delete(id);
      void pool.closeAll();
    }
  };
  const tick = async (): Promise<void> => {
    if (Date.now() - renewedAt >= intervalMs / 2) await renew();
    const now = Date.now();
    for (const id of held) {
      // A look is due an interval after the previous one started. Looked for every SCHEDULE_MS,
      // so looks at many clusters spread over the interval instead of starting together.
      if (inFlight.has(id) || now - (startedAt.get(id) ?? -Infinity) < intervalMs - SCHEDULE_MS / 2) continue;
      startedAt.set(id, now);
      inFlight.add(id);
      queue.push(id);
    }
    drain();
  };
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      await tick().catch((err: unknown) => log.error('observer tick failed', { error: String(err) }));
      await sleep(Math.min(SCHEDULE_MS, intervalMs / 2), stopping.signal).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
      await Promise.all(running);
      await Promise.all([...pools.values()].map((p) => p.closeAll()));
      pools.clear();
      await releaseObserverLeases(db, opts.observerId).catch(() => undefined);
    },
  };
}
