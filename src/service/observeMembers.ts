import { invalidInput, type FieldError } from '../domain/errors.ts';
import { parseNodeAddress } from '../domain/nodeAddress.ts';
import type { ObservedNode } from '../domain/observedTopology.ts';
import { resolveNodeRef } from '../domain/resolveNodeRef.ts';
import { countSlots, type SlotRange } from '../domain/slotRange.ts';
import type { NodeRef } from '../domain/nodeRef.ts';
import type { ClusterRecord } from '../store/records.ts';
import type { Observation, ServiceDeps } from './deps.ts';
import { observeForChange } from './observeForChange.ts';

/** A node of the cluster as a topology change sees it. */
export interface Member {
  readonly id: string;
  /** Where slotsmith connects: its address in the cluster's spec when it is there, else the one it announces. */
  readonly address: string;
  /** The IP it announces on the cluster bus, for host anti-affinity. */
  readonly host: string;
  readonly role: 'master' | 'replica';
  readonly masterId: string | null;
  readonly slots: readonly SlotRange[];
  readonly slotCount: number;
  /** Whether slotsmith reached it just now (a node known only through gossip was not asked). */
  readonly reachable: boolean;
}

/** The cluster, what its nodes report, and its members. */
export interface ClusterMembers {
  readonly cluster: ClusterRecord;
  readonly observation: Observation;
  readonly members: Member[];
  /**
   * Nodes of the spec that have not joined: they know only themselves and no member knows them
   * (an add still queued, or one cancelled before it ran).
   */
  readonly pending: Member[];
}

/** Flags of entries that are not (or no longer) real members. */
const NOT_MEMBER_FLAGS = ['handshake', 'noaddr'];

/**
 * Reads a ready cluster from its nodes and lists its members: every node the nodes know, except
 * entries still in handshake and nodes of the spec that have not joined yet (a node that knows
 * only itself and that no other node knows). Refuses (409) a cluster that is not ready or has
 * open slots, and one with unreachable nodes unless `tolerateUnreachable` (the caller then
 * decides which unreachable nodes it can live with).
 */
export async function observeMembers(deps: ServiceDeps, cluster: ClusterRecord, opts: { tolerateUnreachable?: boolean } = {}): Promise<ClusterMembers> {
  const observation = await observeForChange(deps, cluster, opts);
  const specAddressOf = new Map<string, string>();
  for (const r of observation.reached) if (!specAddressOf.has(r.nodeId)) specAddressOf.set(r.nodeId, r.address);
  // Nodes known only through gossip (not in the spec, e.g. left over from a removal that failed) are
  // asked too, at the address they announce, so the caller knows whether they can be reached.
  const gossipOnly = observation.nodes.filter((n) => !specAddressOf.has(n.id) && !n.address.startsWith(':') && !n.flags.some((f) => NOT_MEMBER_FLAGS.includes(f)));
  const reachedElsewhere = new Set<string>();
  if (gossipOnly.length > 0) {
    const extra = await deps.observe(gossipOnly.map((n) => n.address), cluster.auth);
    for (const r of extra.reached) if (gossipOnly.some((n) => n.id === r.nodeId)) reachedElsewhere.add(r.nodeId);
  }
  const knownByOthers = new Set<string>();
  for (const v of observation.views) for (const n of v.nodes) if (!n.myself) knownByOthers.add(n.id);
  const alone = new Set(observation.views.filter((v) => v.nodes.length === 1).map((v) => v.nodes[0]!.id));
  const isPending = (n: ObservedNode) => alone.has(n.id) && !knownByOthers.has(n.id);
  const toMember = (n: ObservedNode): Member => ({
    id: n.id,
    address: specAddressOf.get(n.id) ?? n.address,
    host: hostOf(n),
    role: n.role,
    masterId: n.masterId,
    slots: n.slots,
    slotCount: countSlots(n.slots),
    reachable: specAddressOf.has(n.id) || reachedElsewhere.has(n.id),
  });
  const listed = observation.nodes.filter((n) => !n.flags.some((f) => NOT_MEMBER_FLAGS.includes(f)));
  return {
    cluster,
    observation,
    members: listed.filter((n) => !isPending(n)).map(toMember),
    pending: listed.filter(isPending).map(toMember),
  };
}

/** The 409 for nodes that did not answer. */

/**
 * The member a reference names: a node id, an address of the cluster's spec, or the `ip:port` or
 * `hostname:port` a node announces. The reason when it names none.
 */
export function resolveMember(ref: string, { members, observation }: Pick<ClusterMembers, 'members' | 'observation'>): { ok: true; member: Member } | { ok: false; reason: string } {
  const parsed = parseNodeAddress(ref, 'announced');
  if (parsed.ok) {
    const bySpec = members.find((m) => m.address === parsed.address);
    if (bySpec) return { ok: true, member: bySpec };
  }
  const ids = new Set(members.map((m) => m.id));
  const resolved = resolveNodeRef(ref, observation.nodes.filter((n: ObservedNode) => ids.has(n.id)));
  if (!resolved.ok) return resolved;
  return { ok: true, member: members.find((m) => m.id === resolved.node.id)! };
}

/** Like {@link resolveMember}, but also finds a node of the spec that has not joined yet. */
export function resolveMemberOrPending(ref: string, cm: ClusterMembers): { ok: true; member: Member; pending: boolean } | { ok: false; reason: string } {
  const found = resolveMember(ref, cm);
  if (found.ok) return { ...found, pending: false };
  const pending = resolveMember(ref, { members: cm.pending, observation: cm.observation });
  return pending.ok ? { ...pending, pending: true } : found;
}

/** Resolves a reference from a request body, or throws 400 `invalid_node` with its pointer. */
export function requireMember(ref: string, pointer: string, cm: ClusterMembers): Member {
  const found = resolveMember(ref, cm);
  if (!found.ok) throw invalidInput([{ pointer, reason: found.reason }], 'invalid_node');
  return found.member;
}

/** Throws a 400 with `code` unless `member` has `role` (a master named as a replica, or the reverse). */
export function requireNodeRole(member: Member, role: 'master' | 'replica', pointer: string, members: readonly Member[]): void {
  if (member.role === role) return;
  const code = role === 'replica' ? 'not_a_replica' : 'not_a_master';
  const master = members.find((m) => m.id === member.masterId);
  const actual = member.role === 'master' ? 'a master' : `a replica${master ? ` of ${master.address}` : ''}`;
  const field: FieldError = { pointer, reason: `${member.address} is ${actual}, not a ${role}` };
  throw invalidInput([field], code);
}

/** The id and address of a member, as steps store them. */
export function refOf(member: Member): NodeRef {
  return { id: member.id, address: member.address };
}

/** The replicas that follow `master`. */
export function replicasOf(master: Member, members: readonly Member[]): Member[] {
  return members.filter((m) => m.role === 'replica' && m.masterId === master.id);
}

/** The host a node announces (for host anti-affinity); a node that met no one announces none. */
function hostOf(node: ObservedNode): string {
  const parsed = parseNodeAddress(node.address, 'announced');
  return parsed.ok ? parsed.host : node.address;
}
