import { clusterEvents } from '../domain/clusterEvents.ts';
import { deriveHealth, type ClusterHealth } from '../domain/clusterHealth.ts';
import { snapshotOf, type ClusterSnapshot } from '../domain/clusterSnapshot.ts';
import { parseNodeAddress } from '../domain/nodeAddress.ts';
import type { NodeConnections } from '../redis/nodeConnections.ts';
import { LOOK_TIMEOUT_MS, observeCluster, type ObservedCluster } from '../redis/observeCluster.ts';
import { setClusterPhase } from '../store/clusters.ts';
import type { Database } from '../store/database.ts';
import { observationContext, saveObservation } from '../store/observations.ts';
import type { ClusterRecord } from '../store/records.ts';

/** What one look stored: the snapshot, its health, and the operation that was queued or running then. */
export interface ObservedLook {
  readonly snapshot: ClusterSnapshot;
  readonly health: ClusterHealth;
  readonly operation: { readonly id: string; readonly kind: string; readonly status: string } | null;
}

export interface ObserveOptions {
  readonly now?: () => Date;
  /** Connections kept from one look to the next (the observer's; made with {@link LOOK_TIMEOUT_MS}); else each look connects anew. */
  readonly connections?: NodeConnections;
  /**
   * What the nodes of the spec reported just now (an `observeCluster` with `stats`), when the
   * caller already asked them: the look reuses it instead of asking again (a run's end shares one
   * look between recording the slots and storing the observation).
   */
  readonly observed?: Promise<ObservedCluster>;
}

/**
 * Looks at one cluster once and stores what was seen: every node of the spec, and every node they
 * know of that is not in the spec (at the address it announces), each asked in parallel with a
 * per-node timeout; then the snapshot, the health derived from it, and the events of the
 * transitions since the previous look, in one transaction (see `saveObservation`). A failed
 * cluster whose nodes are ready again becomes ready. Read-only on the nodes. Resolves with what
 * was stored (null when a newer look was stored meanwhile), for the healer.
 */
export async function observeOne(db: Database, cluster: ClusterRecord, options: ObserveOptions = {}): Promise<ObservedLook | null> {
  const observedAt = (options.now ?? (() => new Date()))();
  const opts = { connectTimeoutMs: LOOK_TIMEOUT_MS, commandTimeoutMs: LOOK_TIMEOUT_MS, stats: true, ...(options.connections ? { connections: options.connections } : {}) } as const;
  // What the database knows is read while the nodes are asked.
  const [first, context] = await Promise.all([
    options.observed ?? observeCluster(cluster.spec.nodes, cluster.auth ?? undefined, opts),
    observationContext(db, cluster.id),
  ]);
  const asked = new Set(first.reached.map((r) => r.nodeId));
  const gossipOnly = first.nodes.filter((n) => !asked.has(n.id) && !n.flags.includes('noaddr') && !n.flags.includes('handshake') && parseNodeAddress(n.address, 'announced').ok);
  const { specAddressOf } = context;
  // Nodes the spec does not know by id (gossip only, or a node of the spec that is down) are asked where they say they are.
  const extra = gossipOnly.filter((n) => !specAddressOf.has(n.id));
  const more = extra.length > 0 ? await observeCluster(extra.map((n) => n.address), cluster.auth ?? undefined, opts) : null;
  const observed = more ? {
    nodes: first.nodes.map((n) => more.nodes.find((m) => m.id === n.id && m.myself) ?? n),
    reached: [...first.reached, ...more.reached],
    unreachable: first.unreachable,
    views: [...first.views, ...more.views],
    stats: new Map([...first.stats, ...more.stats]),
  } : first;
  const snapshot = snapshotOf(observed, specAddressOf, observedAt);
  let ready = false;
  let stored: { snapshot: ClusterSnapshot; health: ClusterHealth } | null = null;
  await saveObservation(db, cluster.id, observedAt, (previous) => {
    const health = deriveHealth({ spec: cluster.spec, phase: cluster.phase, snapshot, previous: previous?.health ?? null, operation: context.current, now: observedAt });
    ready = health.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
    // Whether an operation ran since the previous look tells slotsmith's changes from changes by hand.
    const events = clusterEvents(cluster.name, previous ? { snapshot: previous.snapshot, health: previous.health } : null, { snapshot, health }, context.ranSince)
      .map((e) => ({ clusterName: cluster.name, type: e.type, message: e.summary, data: e.data, nodes: e.nodes }));
    stored = { snapshot, health };
    return { snapshot, health, events };
  }, context.previous);
  if (cluster.phase === 'failed' && ready) await setClusterPhase(db, cluster.id, 'ready');
  return stored === null ? null : { ...(stored as { snapshot: ClusterSnapshot; health: ClusterHealth }), operation: context.current };
}
