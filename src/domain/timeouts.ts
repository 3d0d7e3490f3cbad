/**
 * How long the closing steps of operations wait for the nodes, one definition each. Planners
 * freeze them into the plan, so an operation keeps the timeouts it was planned with.
 */

/** How long a slot movement or a fix may wait for every node to agree on the new owners. */
export const CONVERGE_TIMEOUT_SECONDS = 60;

/** How long nodes may take to learn about an added node, or to agree that a removed one is gone. */
export const TOPOLOGY_TIMEOUT_SECONDS = 60;

/**
 * How long a replica may take for its first full sync (the master's diskless sync delay is 5 s by
 * default; big datasets take longer).
 */
export const REPLICA_SYNC_TIMEOUT_SECONDS = 600;

/**
 * The MIGRATE timeout of a key move (`migrateTimeoutMs`): how long the target may take to take in
 * one batch; a very large key needs more (redis-cli's `--cluster-timeout`). Inside the Lua fast
 * path it is capped at 1 s so the source never blocks past Redis's busy-script threshold; batches
 * that need more go through the pipelined path with this timeout.
 */
export const MIGRATE_TIMEOUT_MS = { default: 5_000, min: 100, max: 600_000 } as const;
