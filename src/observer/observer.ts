import type { Logger } from '../logger.ts';
import { getClusterById } from '../store/clusters.ts';
import type { Database } from '../store/database.ts';
import { claimObserverLeases, releaseObserverLeases } from '../store/observations.ts';
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
  /** Told after each cluster was observed (the API's caches, say). */
  readonly onObserved?: (clusterId: string) => void;
}

export interface RunningObserver {
  /** Stops looking and gives up its leases, so another observer takes over at its next tick. */
  stop(): Promise<void>;
}

/**
 * Watches every cluster between operations: each interval it leases the clusters nobody else
 * watches (a lease lasts two intervals and is renewed every interval, so a dead observer's
 * clusters are taken over within two intervals), and looks at each of them, `concurrency` at a
 * time (see `observeOne`). Scaled out on one PostgreSQL, each cluster is watched by exactly one
 * live observer.
 */
export function startObserver(opts: ObserverOptions): RunningObserver {
  const { db, log } = opts;
  const stopping = new AbortController();
  const leaseSeconds = opts.intervalSeconds * 2;
  const tick = async (): Promise<void> => {
    const ids = await claimObserverLeases(db, opts.observerId, leaseSeconds);
    const queue = [...ids];
    const worker = async (): Promise<void> => {
      for (let id = queue.shift(); id !== undefined && !stopping.signal.aborted; id = queue.shift()) {
        const cluster = await getClusterById(db, id);
        if (!cluster) continue;
        try {
          await observeOne(db, cluster);
          opts.onObserved?.(id);
        } catch (err) {
          log.warn('observing a cluster failed', { cluster: cluster.name, error: String(err) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, queue.length)) }, worker));
  };
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const started = Date.now();
      await tick().catch((err: unknown) => log.error('observer tick failed', { error: String(err) }));
      const wait = Math.max(0, opts.intervalSeconds * 1000 - (Date.now() - started));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
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
      await releaseObserverLeases(db, opts.observerId).catch(() => undefined);
    },
  };
}
