/** A master that could take a replica, as the chooser sees it. */
export interface ReplicaMasterCandidate {
  readonly id: string;
  /** The master's host (the IP it announces): a replica on the same host goes down with it. */
  readonly host: string;
  /** Hosts of the replicas it has now, one entry per replica. */
  readonly replicaHosts: readonly string[];
  readonly servesSlots: boolean;
}

/** A replica to place, and where it runs. */
export interface ReplicaToPlace {
  readonly id: string;
  readonly host: string;
}

/**
 * Picks the master a replica on `replicaHost` should follow, by in turn:
 *   1. a master on another host, when there is one (host anti-affinity: a host failure must not
 *      take a master and its replica down together);
 *   2. the fewest replicas;
 *   3. the fewest of its replicas already on `replicaHost` (two replicas of one master on one host
 *      fail together);
 *   4. a master that serves slots over an empty one;
 *   5. the smallest id, so the same input always gives the same answer.
 * Returns null when there is no candidate.
 *
 * @example
 *   chooseReplicaMaster([{ id: 'a', host: '10.0.0.1', replicaHosts: [], servesSlots: true },
 *                        { id: 'b', host: '10.0.0.2', replicaHosts: ['10.0.0.3'], servesSlots: true }], '10.0.0.1')
 *   // 'b': a has fewer replicas but runs on the replica's own host
 */
export function chooseReplicaMaster(candidates: readonly ReplicaMasterCandidate[], replicaHost: string): string | null {
  let best: ReplicaMasterCandidate | null = null;
  let bestKey: readonly (number | string)[] = [];
  for (const candidate of candidates) {
    const key = rank(candidate, replicaHost);
    if (best === null || compareKeys(key, bestKey) < 0) {
      best = candidate;
      bestKey = key;
    }
  }
  return best?.id ?? null;
}

/**
 * Places several replicas one after another with {@link chooseReplicaMaster}, each seeing the ones
 * placed before it, so two replicas of a removed master spread over two masters rather than piling
 * onto the one that had the fewest. Returns one `{replica, master}` per replica, in input order;
 * `master` is null when there is no candidate.
 */
export function assignReplicaMasters(
  replicas: readonly ReplicaToPlace[],
  candidates: readonly ReplicaMasterCandidate[],
): { replica: string; master: string | null }[] {
  const current = candidates.map((c) => ({ ...c, replicaHosts: [...c.replicaHosts] }));
  return replicas.map((replica) => {
    const master = chooseReplicaMaster(current, replica.host);
    current.find((c) => c.id === master)?.replicaHosts.push(replica.host);
    return { replica: replica.id, master };
  });
}

function rank(c: ReplicaMasterCandidate, replicaHost: string): readonly (number | string)[] {
  return [
    c.host === replicaHost ? 1 : 0,
    c.replicaHosts.length,
    c.replicaHosts.filter((h) => h === replicaHost).length,
    c.servesSlots ? 0 : 1,
    c.id,
  ];
}

function compareKeys(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}
