/**
 * What slotsmith may repair on a cluster by itself, off unless asked (issue: "Sentinel's promise").
 * Each repair is a normal operation, queued by the observer when nothing else runs on the cluster.
 */
export interface HealingPolicy {
  /** A master left without a working replica gets one moved from the master with the most (host anti-affinity respected). */
  readonly replicaMigration: boolean;
  /**
   * A master the cluster marks `FAIL` whose replicas did not take over within `afterSeconds` is
   * failed over to its most up-to-date replica with `CLUSTER FAILOVER FORCE`, or `TAKEOVER` when
   * `takeover` is true (no majority of masters needed, at the risk of conflicting epochs).
   */
  readonly failover: { readonly afterSeconds: number; readonly takeover: boolean } | null;
  /** A node flagged `FAIL` for longer than this (and serving no slots) is forgotten by every node; null: never. */
  readonly forgetAfterSeconds: number | null;
}

/** Healing off: what a cluster has until someone asks. */
export const NO_HEALING: HealingPolicy = { replicaMigration: false, failover: null, forgetAfterSeconds: null };

/** Whether the policy asks for anything at all. */
export function healingEnabled(policy: HealingPolicy): boolean {
  return policy.replicaMigration || policy.failover !== null || policy.forgetAfterSeconds !== null;
}
