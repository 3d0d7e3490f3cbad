import type { SlotRange } from './slotRange.ts';

/** A slot that a node is moving away (`migrating` to `nodeId`) or taking in (`importing` from `nodeId`). */
export interface OpenSlot {
  readonly slot: number;
  readonly nodeId: string;
}

/** Flags that mean a peer is not (yet) a healthy member (`fail?` is read as `pfail`: see `parseClusterNodes`). */
export const UNHEALTHY_FLAGS: readonly string[] = ['fail', 'pfail', 'handshake', 'noaddr'];

/**
 * The first replica of master `masterId` that `nodes` show linked and not flagged unhealthy, or
 * undefined: a node that holds the master's keys and can answer for them (a read-only count) in
 * its place, so the master's thread is left to its clients and its migrations.
 */
export function healthyReplicaOf<N extends Pick<ObservedNode, 'role' | 'masterId' | 'linkState' | 'flags'>>(nodes: readonly N[], masterId: string): N | undefined {
  return nodes.find((n) => n.role === 'replica' && n.masterId === masterId && n.linkState === 'connected' && !n.flags.some((f) => UNHEALTHY_FLAGS.includes(f)));
}

/** One node as the cluster itself reports it (one line of `CLUSTER NODES`). */
export interface ObservedNode {
  /** 40-character node id. */
  readonly id: string;
  /** `ip:port` as announced on the cluster bus. */
  readonly address: string;
  /** Cluster bus port. */
  readonly busPort: number;
  /** Announced hostname, when the node has one (Redis 7 `cluster-announce-hostname`). */
  readonly hostname: string | null;
  readonly role: 'master' | 'replica';
  /** For a replica: the id of its master. */
  readonly masterId: string | null;
  /** Raw flags without `myself`, `master`, `slave` (e.g. `fail`, `pfail`, `handshake`, `noaddr`). */
  readonly flags: readonly string[];
  readonly myself: boolean;
  readonly linkState: 'connected' | 'disconnected';
  readonly configEpoch: number;
  readonly slots: readonly SlotRange[];
  readonly migrating: readonly OpenSlot[];
  readonly importing: readonly OpenSlot[];
}
