import assert from 'node:assert/strict';
import type { ObservedNode } from '../../src/domain/observedTopology.ts';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';
import { readClusterView } from '../../src/redis/readClusterView.ts';

/** Each node's own `CLUSTER NODES`, asked directly (never through slotsmith), by address. */
export async function viewsOf(addresses: readonly string[]): Promise<Map<string, ObservedNode[]>> {
  const connections = new NodeConnections();
  try {
    const views = await Promise.all(addresses.map(async (a) => [a, (await readClusterView(await connections.get(a))).nodes] as const));
    return new Map(views);
  } finally {
    await connections.closeAll();
  }
}

/** How long {@link topologySnapshot} waits for the nodes' views to agree. */
const AGREE_TIMEOUT_MS = 10_000;

/**
 * A comparable picture of the cluster from each node: who it knows, with roles, masters and slots.
 * Taken once every node's view is the same (up to 10 s): a cluster that is ready by design.md's
 * readiness may still be gossiping a new replica's role, and a picture taken mid-gossip differs
 * from a later one although nothing changed. If they never agree, the last picture is returned.
 */
export async function topologySnapshot(addresses: readonly string[]): Promise<Record<string, string[]>> {
  const deadline = Date.now() + AGREE_TIMEOUT_MS;
  for (;;) {
    const views = await viewsOf(addresses);
    const snapshot = Object.fromEntries([...views].map(([a, nodes]) => [a, nodes
      .map((n) => `${n.address} ${n.id} ${n.role} ${n.masterId ?? '-'} ${n.slots.map(([s, e]) => `${s}-${e}`).join(',')}`)
      .sort()]));
    const distinct = new Set(Object.values(snapshot).map((lines) => lines.join('\n')));
    if (distinct.size <= 1 || Date.now() > deadline) return snapshot;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Asserts that every node in `viewers` knows `address` with the given role (and, for a replica,
 * the master at `master`), and that all of them know exactly `viewers.length` nodes.
 */
export async function assertRoleEverywhere(viewers: readonly string[], address: string, role: 'master' | 'replica', master?: string): Promise<void> {
  const views = await viewsOf(viewers);
  for (const [viewer, nodes] of views) {
    assert.equal(nodes.length, viewers.length, `${viewer} knows ${nodes.length} nodes, expected ${viewers.length}`);
    const node = nodes.find((n) => n.address === address);
    assert.ok(node, `${viewer} does not know ${address}`);
    assert.equal(node.role, role, `${viewer} sees ${address} as ${node.role}`);
    if (master !== undefined) {
      const m = nodes.find((n) => n.address === master);
      assert.equal(node.masterId, m?.id, `${viewer} sees ${address} replicating ${node.masterId}, expected ${master}`);
    }
  }
}

/** Asserts that the node at `address` was reset: it knows only itself and serves no slot, and no one in `others` knows it. */
export async function assertForgottenAndReset(address: string, oldId: string, others: readonly string[]): Promise<void> {
  const views = await viewsOf([address, ...others]);
  const own = views.get(address)!;
  assert.equal(own.length, 1, `${address} still knows ${own.length - 1} other nodes`);
  assert.notEqual(own[0]!.id, oldId, `${address} kept its node id (not a hard reset)`);
  assert.equal(own[0]!.slots.length, 0);
  for (const other of others) {
    assert.ok(!views.get(other)!.some((n) => n.id === oldId || n.address === address), `${other} still knows ${address}`);
  }
}
