import type { Logger } from '../logger.ts';
import { getClusterById } from '../store/clusters.ts';
import type { Database } from '../store/database.ts';
import { claimObserverLeases, releaseObserverLeases } from '../store/observations.ts';
import type { ClusterRecord } from '../store/records.ts';
import { observeOne } from './observeOne.ts';

export interface ObserverOptions {
  readonly db: Database;
  /** This process's name in observer leases. */
  readonly observerId: string;
  /** Seconds between two looks at a cluster (`OBSERVE_INTERVAL_SECONDS`). */
  readonly intervalSeconds: number;
  /** Clusters looked at at once. */
  readonly concurrency: number;
  readonly log: Logger;
  /** Looks at one cluster and stores what it saw (default `observeOne`); the healer hooks in here. */
  readonly observe?: (cluster: ClusterRecord) => Promise<void>;
}

export interface RunningObserver {
  /** Stops looking and gives up its leases, so another observer takes over at its next tick. */
  stop(): Promise<void>;
}

/**
 * Watches every cluster between operations. Every half interval it renews its leases and takes
 * the clusters nobody watches (a lease lasts one and a half intervals, so a dead observer's
 * clusters are taken over within two intervals of its last renewal), and starts a look at each
 * cluster it holds whose previous look started an interval ago, `concurrency` at a time (see
 * `observeOne`). Lease renewal never waits for slow looks, so a cluster whose nodes time out does
 * not cost the others their lease. Scaled out on one PostgreSQL, each cluster is watched by
 * exactly one live observer.
 */
export function startObserver(opts: ObserverOptions): RunningObserver {
  const { db, log } = opts;
  const observe = opts.observe ?? ((cluster: ClusterRecord) => observeOne(db, cluster));
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
      if (cluster) await observe(cluster);
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
  const tick = async (): Promise<void> => {
    const held = new Set(await claimObserverLeases(db, opts.observerId, leaseSeconds));
    for (const id of startedAt.keys()) if (!held.has(id)) startedAt.delete(id);
    const now = Date.now();
    for (const id of held) {
      // A look is due an interval after the previous one started (a tenth early, so ticks every
      // half interval do not stretch it to one and a half).
      if (inFlight.has(id) || now - (startedAt.get(id) ?? -Infinity) < intervalMs * 0.9) continue;
      startedAt.set(id, now);
      inFlight.add(id);
      queue.push(id);
    }
    drain();
  };
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      await tick().catch((err: unknown) => log.error('observer tick failed', { error: String(err) }));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs / 2);
        stopping.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
      await Promise.all(running);
      await releaseObserverLeases(db, opts.observerId).catch(() => undefined);
    },
  };
}
