import { parseNodeAddress } from './nodeAddress.ts';
import type { ObservedNode } from './observedTopology.ts';

/** The node a reference names, or why it names none (or more than one). */
export type ResolvedNodeRef =
  | { readonly ok: true; readonly node: ObservedNode }
  | { readonly ok: false; readonly reason: string };

const NODE_ID = /^[0-9a-f]{40}$/i;
/** Flags of entries that may linger beside the live node at the same address. */
const STALE_FLAGS = new Set(['fail', 'handshake', 'noaddr']);

/**
 * Finds the node a user means: a 40-hex-character node id (any case), or `host:port` equal to
 * the node's announced `address` (ip:port) or to its announced `hostname` with that port.
 * Addresses compare in normalised form, so `[0::1]:7000` finds the node announcing `::1:7000`.
 *
 * @example
 *   resolveNodeRef('127.0.0.1:7009', nodes) // { ok: false, reason: 'no node 127.0.0.1:7009 in this cluster' }
 */
export function resolveNodeRef(ref: string, nodes: readonly ObservedNode[]): ResolvedNodeRef {
  if (NODE_ID.test(ref)) {
    const id = ref.toLowerCase();
    const node = nodes.find((n) => n.id === id);
    return node === undefined ? { ok: false, reason: `no node ${id} in this cluster` } : { ok: true, node };
  }
  const parsed = parseNodeAddress(ref, 'announced');
  if (!parsed.ok) {
    return { ok: false, reason: `${quote(ref)} is neither a 40-character node id nor host:port (${parsed.reason})` };
  }
  const matches = nodes.filter((n) => addressesOf(n).includes(parsed.address));
  // After a node is replaced at the same address, the old entry can stay listed as failed until
  // it is forgotten; the live one is the one meant.
  const live = matches.length > 1 ? matches.filter((n) => !n.flags.some((f) => STALE_FLAGS.has(f))) : matches;
  const [only, ...others] = live.length > 0 ? live : matches;
  if (only === undefined) return { ok: false, reason: `no node ${parsed.address} in this cluster` };
  if (others.length > 0) {
    const ids = [only, ...others].map((n) => n.id).join(', ');
    return { ok: false, reason: `${parsed.address} matches several nodes (${ids}); use the node id` };
  }
  return { ok: true, node: only };
}

/** The normalised addresses a node answers to: its announced ip:port and hostname:port. */
function addressesOf(node: ObservedNode): string[] {
  // A node that never met anyone announces ":port", which does not parse; it can only be found by id.
  const ip = parseNodeAddress(node.address, 'announced');
  if (!ip.ok) return [];
  const found = [ip.address];
  if (node.hostname !== null && node.hostname !== '') {
    const named = parseNodeAddress(`${node.hostname}:${ip.port}`, 'announced');
    if (named.ok) found.push(named.address);
  }
  return found;
}

/** Quotes user text for a reason, cut short so a huge input cannot make a huge error. */
function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 61)}...` : text);
}
