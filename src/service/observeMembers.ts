import { invalidInput, type FieldError } from '../domain/errors.ts';
import { parseNodeAddress } from '../domain/nodeAddress.ts';
import type { NodeRef } from '../domain/nodeRef.ts';
import type { ObservedNode } from '../domain/observedTopology.ts';
import { resolveNodeRef } from '../domain/resolveNodeRef.ts';
import { countSlots, type SlotRange } from '../domain/slotRange.ts';
import { listNodes } from '../store/clusters.ts';
import type { ClusterRecord } from '../store/records.ts';
import type { Observation, ServiceDeps } from './deps.ts';
import { observeForChange, type ObserveForChangeOptions } from './observeForChange.ts';

/** A node of the cluster as a change sees it. */
export interface Member {
  readonly id: string;
  /**
   * Where slotsmith connects: the node's address in the cluster's spec when it has one (known by
   * the id recorded for it, so also while it is down), else the one it announces.
   */
  readonly address: string;
  /** The IP it announces on the cluster bus, for host anti-affinity. */
  readonly host: string;
  readonly role: 'master' | 'replica';
  readonly masterId: string | null;
  readonly slots: readonly SlotRange[];
  readonly slotCount: number;
  /** Whether slotsmith reached it just now (a node known only through gossip was asked at the address it announces). */
  readonly reachable: boolean;
  /** Flags the other nodes give it, e.g. `fail`, `fail?`, `noaddr`. */
  readonly flags: readonly string[];
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
  /** Entries the nodes keep for a node whose address they lost (`noaddr`): dead, found by id only. */
  readonly ghosts: Member[];
}

/**
 * Reads a ready cluster from its nodes and lists its members: every node the nodes know, except
 * entries still in handshake, `noaddr` entries (listed as ghosts) and nodes of the spec that have
 * not joined yet (a node that knows only itself and that no other node knows). Refuses (409) a
 * cluster that is not ready or has open slots, and one with unreachable nodes unless
 * `tolerateUnreachable` (the caller then decides which unreachable nodes it can live with).
 */
export async function observeMembers(deps: ServiceDeps, cluster: ClusterRecord, opts: ObserveForChangeOptions = {}): Promise<ClusterMembers> {
  // The node rows are read while the nodes are asked.
  const [observation, rows] = await Promise.all([observeForChange(deps, cluster, opts), listNodes(deps.db, cluster.id)]);
  const reachedIds = new Set(observation.reached.map((r) => r.nodeId));
  const specAddressOf = new Map<string, string>();
  for (const r of observation.reached) if (!specAddressOf.has(r.nodeId)) specAddressOf.set(r.nodeId, r.address);
  // A node of the spec that did not answer is still known by the id recorded when it joined.
  for (const row of rows) {
    if (row.redisNodeId !== null && !specAddressOf.has(row.redisNodeId)) specAddressOf.set(row.redisNodeId, row.address);
  }
  // Nodes known only through gossip (not in the spec, e.g. left over from a removal that failed) are
  // asked too, at the address they announce, so the caller knows whether they can be reached.
  const gossipOnly = observation.nodes.filter((n) => !specAddressOf.has(n.id) && parseNodeAddress(n.address, 'announced').ok && !isGhost(n) && !n.flags.includes('handshake'));
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
    reachable: reachedIds.has(n.id) || reachedElsewhere.has(n.id),
    flags: n.flags,
  });
  const listed = observation.nodes.filter((n) => !n.flags.includes('handshake') && !isGhost(n));
  return {
    cluster,
    observation,
    members: listed.filter((n) => !isPending(n)).map(toMember),
    pending: listed.filter(isPending).map(toMember),
    ghosts: observation.nodes.filter(isGhost).map(toMember),
  };
}

/** An entry for a node whose address the cluster lost. */
function isGhost(n: ObservedNode): boolean {
  return n.flags.includes('noaddr');
}

/**
 * The member a reference names: its node id, its address in the cluster's spec, or the `ip:port`
 * or `hostname:port` it announces. The one node resolver of every call (reshard targets and
 * sources, weights, moves, add, remove, replicas, failover). The reason when it names none.
 */
export function resolveMember(ref: string, { members, observation }: Pick<ClusterMembers, 'members' | 'observation'>): { ok: true; member: Member } | { ok: false; reason: string } {
  const parsed = parseNodeAddress(ref, 'announced');
  if (parsed.ok) {
    const bySpec = members.filter((m) => m.address === parsed.address);
    // After a node was replaced at its address, the live one is meant.
    const live = bySpec.length > 1 ? bySpec.filter((m) => m.reachable) : bySpec;
    if (live.length === 1) return { ok: true, member: live[0]! };
  }
  const ids = new Set(members.map((m) => m.id));
  const resolved = resolveNodeRef(ref, observation.nodes.filter((n: ObservedNode) => ids.has(n.id)));
  if (!resolved.ok) return resolved;
  return { ok: true, member: members.find((m) => m.id === resolved.node.id)! };
}

/**
 * Like {@link resolveMember}, but also finds a node of the spec that has not joined yet
 * (`pending`) and an entry whose address the cluster lost (`ghost`, by id), for removing them.
 */
export function resolveForRemoval(ref: string, cm: ClusterMembers): { ok: true; member: Member; pending: boolean; ghost: boolean } | { ok: false; reason: string } {
  const found = resolveMember(ref, cm);
  if (found.ok) return { ...found, pending: false, ghost: false };
  const pending = resolveMember(ref, { members: cm.pending, observation: cm.observation });
  if (pending.ok) return { ...pending, pending: true, ghost: false };
  const ghost = cm.ghosts.find((g) => g.id === ref.toLowerCase());
  return ghost ? { ok: true, member: ghost, pending: false, ghost: true } : found;
}

/** Resolves a reference from a request body, or throws 400 `invalid_node` with its pointer. */
export function requireMember(ref: string, pointer: string, cm: Pick<ClusterMembers, 'members' | 'observation'>): Member {
  const found = resolveMember(ref, cm);
  if (!found.ok) throw invalidInput([{ pointer, reason: found.reason }], 'invalid_node');
  return found.member;
}

/**
 * Resolves references that must name masters (reshard targets and sources, move targets, weight
 * keys), in order, or throws one 400 `invalid_node` listing each that names no node, several, or
 * a replica.
 */
export function requireMasters(refs: readonly { pointer: string; ref: string }[], cm: Pick<ClusterMembers, 'members' | 'observation'>): Member[] {
  const errors: FieldError[] = [];
  const found: Member[] = [];
  for (const { pointer, ref } of refs) {
    const resolved = resolveMember(ref, cm);
    if (!resolved.ok) errors.push({ pointer, reason: resolved.reason });
    else if (resolved.member.role !== 'master') errors.push({ pointer, reason: `${ref} is ${roleOf(resolved.member, cm.members)}; only masters serve slots` });
    else found.push(resolved.member);
  }
  if (errors.length > 0) throw invalidInput(errors, 'invalid_node');
  return found;
}

/** Throws a 400 with `code` unless `member` has `role` (a master named as a replica, or the reverse). */
export function requireNodeRole(member: Member, role: 'master' | 'replica', pointer: string, members: readonly Member[]): void {
  if (member.role === role) return;
  const code = role === 'replica' ? 'not_a_replica' : 'not_a_master';
  throw invalidInput([{ pointer, reason: `${member.address} is ${roleOf(member, members)}, not a ${role}` }], code);
}

function roleOf(member: Member, members: readonly Member[]): string {
  if (member.role === 'master') return 'a master';
  const master = members.find((m) => m.id === member.masterId);
  return `a replica${master ? ` of ${master.address}` : ''}`;
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
