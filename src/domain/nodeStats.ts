/**
 * What one node says about itself besides `CLUSTER NODES`: its `CLUSTER INFO` and `INFO`, as the
 * observer stores it for each node it reached. Sizes in bytes, ages in seconds.
 */
export interface NodeStats {
  /** `cluster_state` as this node sees the cluster. */
  readonly clusterState: 'ok' | 'fail' | string;
  readonly currentEpoch: number;
  /** `redis` or `valkey` (Valkey reports `server_name:valkey`). */
  readonly flavour: 'redis' | 'valkey';
  /** The server's own version (Valkey's `valkey_version`, else `redis_version`). */
  readonly version: string;
  /** A replica's `master_link_status` (null on a master). */
  readonly masterLinkStatus: 'up' | 'down' | null;
  /** `host:port` a replica replicates from, as it says (null on a master). */
  readonly masterAddress: string | null;
  /** A master's `master_repl_offset`, a replica's `slave_repl_offset`. */
  readonly replOffset: number | null;
  /** A replica's `master_last_io_seconds_ago` (-1 while the link is down). */
  readonly lastIoSecondsAgo: number | null;
  readonly usedMemoryBytes: number | null;
  /** Keys in all databases. */
  readonly keys: number;
  /** Loading its dataset into memory (after a restart). */
  readonly loading: boolean;
}
