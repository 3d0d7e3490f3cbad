import { LRUCache } from 'lru-cache';
import type { ClusterView } from '../contract/clusterView.ts';
import type { OperationRecord } from '../store/records.ts';

/**
 * How long a cluster view or an operation read from the database is answered again without
 * reading it: what polling dashboards and automation hit. Changes made through this process clear
 * the cache at once (see `clear`); changes made by other processes show within this time.
 */
export const READ_CACHE_MS = 250;
const MAX_ENTRIES = 10_000;

/**
 * The hot reads (`GET /v1/clusters/{name}`, `GET /v1/operations/{id}`), each kept for
 * {@link READ_CACHE_MS} (lru-cache), with concurrent misses of one key sharing one read.
 * A failed read (not found, say) is not kept.
 */
export class ReadCache {
  readonly #clusters = new LRUCache<string, Promise<ClusterView>>({ max: MAX_ENTRIES, ttl: READ_CACHE_MS });
  readonly #operations = new LRUCache<string, Promise<OperationRecord>>({ max: MAX_ENTRIES, ttl: READ_CACHE_MS });
  /** Operations kept by {@link rememberOperation} and not cleared since, with when (see {@link mark}). */
  readonly #remembered = new Map<string, { readonly at: number; readonly op: Promise<OperationRecord> }>();
  #marks = 0;

  /** The cluster view called `name`, from the cache or from `load`. */
  cluster(name: string, load: () => Promise<ClusterView>): Promise<ClusterView> {
    return ReadCache.#through(this.#clusters, name, load);
  }

  /** The operation `id`, from the cache or from `load`. */
  operation(id: string, load: () => Promise<OperationRecord>): Promise<OperationRecord> {
    return ReadCache.#through(this.#operations, id, load);
  }

  /** Keeps an operation as this process just stored it (queued, claimed or ended), as if it had been read. */
  rememberOperation(op: OperationRecord): void {
    const kept = Promise.resolve(op);
    this.#operations.set(op.id, kept);
    this.#remembered.set(op.id, { at: this.#marks, op: kept });
  }

  /** A point in this cache's history, for {@link clearAfterChange}. */
  mark(): number {
    return ++this.#marks;
  }

  /** Forgets one cluster's view: the observer stored a new look at it. */
  forgetCluster(name: string): void {
    this.#clusters.delete(name);
  }

  /** Forgets everything: something in this process changed a cluster or an operation. */
  clear(): void {
    this.#clusters.clear();
    this.#operations.clear();
    this.#remembered.clear();
  }

  /**
   * {@link clear}, after a change that began at `since` ({@link mark}), except the operations the
   * change itself remembered as it stored them and that nothing cleared since: a reshard's 202
   * is followed by a long poll of the operation it queued, which then needs no read.
   */
  clearAfterChange(since: number): void {
    const kept = [...this.#remembered].filter(([, r]) => r.at >= since);
    this.clear();
    for (const [id, r] of kept) {
      this.#operations.set(id, r.op);
      this.#remembered.set(id, r);
    }
  }

  static #through<V>(cache: LRUCache<string, Promise<V>>, key: string, load: () => Promise<V>): Promise<V> {
    const hit = cache.get(key);
    if (hit) return hit;
    const loading = load();
    cache.set(key, loading);
    loading.catch(() => {
      if (cache.get(key) === loading) cache.delete(key);
    });
    return loading;
  }
}
