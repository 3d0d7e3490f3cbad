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
