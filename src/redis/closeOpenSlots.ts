import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import type { ObservedNode } from '../domain/observedTopology.ts';
import { countKeysInSlots } from './countKeysInSlots.ts';
import type { MigrateTarget } from './migrateCommand.ts';
import { migrateSlotKeys, type MigrateKeysOptions } from './migrateSlotKeys.ts';
import type { NodeRef } from '../domain/nodeRef.ts';
import { requireNodeAddress } from '../domain/nodeAddress.ts';
import type { NodeConnections } from './nodeConnections.ts';
import { readClusterView } from './readClusterView.ts';
import { resolveHost } from './resolveHost.ts';
import { setSlotImporting, setSlotMigrating, setSlotNode, setSlotStable, slotStatesOf, type SlotStates } from './setSlot.ts';

/** The slots that any of `nodes` reports as migrating or importing (on its own line), sorted. */
export function findOpenSlots(nodes: readonly ObservedNode[]): number[] {
  const open = new Set<number>();
  for (const node of nodes) for (const o of [...node.migrating, ...node.importing]) open.add(o.slot);
  return [...open].sort((a, b) => a - b);
}

/** Where the slot should end up, every master of the cluster, and how to move keys. */
export interface CloseOpenSlotOptions extends Omit<MigrateKeysOptions, 'sourceImporting' | 'signal'> {
  /** The master that must serve the slot at the end (from the operation history, not guessed). */
  readonly intendedOwnerId: string;
  /** Every master of the cluster (id and address); all of them are asked and corrected. */
  readonly masters: readonly NodeRef[];
}

/**
 * What was done: `none` (nothing open, every master agrees, no stray keys); `finished` (the slot
 * went to the intended owner, or it already had it and only other nodes' states lagged);
 * `rolled_back` (the intended owner still served the slot but was migrating it away, or other
 * nodes held some of its keys: those came back).
 */
export interface CloseOpenSlotResult {
  readonly action: 'none' | 'finished' | 'rolled_back';
  readonly keysMoved: number;
}

interface MasterState {
  readonly node: NodeRef;
  readonly client: Redis;
  readonly state: SlotStates;
  readonly keys: number;
}

/**
 * Closes `slot` so that `intendedOwnerId` serves it with all its keys, nothing is open on any
 * master, and every master agrees; keys only ever move with MIGRATE, so none is lost.
 *
 * - Finish (the intended owner does not serve it yet, e.g. it was importing): importing/migrating
 *   are (re)opened between the current owner and the intended owner, the remaining keys migrate,
 *   keys that a third importing node took in migrate too, then `SETSLOT NODE` goes to the intended
 *   owner first, then the old owner, then the others.
 * - Roll back (the intended owner still serves it, e.g. it was migrating it away): the owner's
 *   migration is closed with `SETSLOT STABLE`, the keys the importing node took in migrate back
 *   (that node still imports the slot, which lets it run MIGRATE), then the importing nodes get
 *   `STABLE` and every master `NODE`. Until a key is back, a client asking the owner for it gets
 *   nil, and a client writing it creates a new copy on the owner: moving the old copy back then
 *   meets BUSYKEY, resolved as in `migrateSlotKeys` (equal: replaced; different: `busy_keys`
 *   unless `replace`, and the slot stays open with both copies).
 *
 * Shapes that no interrupted move produces (two nodes claiming the slot besides the intended
 * owner, keys on a node that neither serves nor imports the slot) throw `open_slot_unresolvable`
 * with what was found, without changing anything.
 */
export async function closeOpenSlot(connections: NodeConnections, slot: number, opts: CloseOpenSlotOptions): Promise<CloseOpenSlotResult> {
  const masters = await Promise.all(opts.masters.map((node) => readMaster(connections, node, slot)));
  const owner = masters.find((m) => m.node.id === opts.intendedOwnerId);
  if (!owner) throw new DomainError('invalid', 'unknown_node', `intended owner ${opts.intendedOwnerId} is not one of the masters`);
  const others = masters.filter((m) => m !== owner);
  const isOpen = (m: MasterState): boolean => m.state.migrating.has(slot) || m.state.importing.has(slot);
  const claims = (m: MasterState): boolean => m.state.owners[slot] === m.state.myId;
  if (!masters.some(isOpen) && others.every((m) => m.keys === 0) && masters.every((m) => m.state.owners[slot] === owner.node.id)) {
    return { action: 'none', keysMoved: 0 };
  }

  const unresolvable = (why: string): DomainError =>
    new DomainError('precondition', 'open_slot_unresolvable', `slot ${slot} cannot be closed toward ${owner.node.address}: ${why}`);
  const orphans = others.filter((m) => m.keys > 0 && !claims(m) && !m.state.importing.has(slot));
  if (orphans.length > 0) {
    throw unresolvable(`${orphans.map((m) => `${m.node.address} holds ${m.keys} key(s)`).join(', ')} without serving or importing the slot`);
  }
  const { host, port } = requireNodeAddress(owner.node.address);
  const target: MigrateTarget = { ip: await resolveHost(host), port, client: owner.client };
  const migrateOpts: MigrateKeysOptions = { ...opts };
  let keysMoved = 0;
  const drain = async (from: MasterState): Promise<void> => {
    const sourceImporting = !claims(from);
    keysMoved += (await migrateSlotKeys(from.client, target, slot, { ...migrateOpts, sourceImporting })).keysMoved;
  };

  let action: CloseOpenSlotResult['action'] = 'finished';
  let formerOwners: MasterState[] = [];
  if (!claims(owner)) {
    const claimers = others.filter(claims);
    if (claimers.length > 1) throw unresolvable(`${claimers.map((m) => m.node.address).join(' and ')} both serve it`);
    if (claimers.length === 0 && others.some((m) => m.keys > 0)) throw unresolvable('no master serves it, yet some hold its keys');
    formerOwners = claimers;
    for (const from of claimers) {
      await setSlotImporting(owner.client, [slot], from.node.id);
      await setSlotMigrating(from.client, [slot], owner.node.id);
    }
    for (const from of [...claimers, ...others.filter((m) => !claims(m) && m.keys > 0)]) await drain(from);
  } else {
    const holders = others.filter((m) => m.keys > 0 || m.state.importing.has(slot));
    if (owner.state.migrating.has(slot) || holders.some((m) => m.keys > 0)) action = 'rolled_back';
    // STABLE first: a migrating owner answers ASK for keys it lacks, RESTORE-ASKING included, so
    // the keys could not come back; it also stops new keys from being redirected away meanwhile.
    await setSlotStable(owner.client, [slot]);
    for (const from of holders) await drain(from);
  }

  // The intended owner first, then the former owner, then the rest (live resharding order). NODE
  // closes a migration on a node without keys of the slot, but never an import on a node that does
  // not become the owner: those get STABLE first (they do not serve the slot, so nothing can write
  // to them in between).
  await setSlotNode(owner.client, [slot], owner.node.id);
  const rest = [...formerOwners, ...others.filter((m) => !formerOwners.includes(m))];
  for (const m of rest) {
    if (!claims(m)) await setSlotStable(m.client, [slot]);
    await setSlotNode(m.client, [slot], owner.node.id);
  }
  return { action, keysMoved };
}

async function readMaster(connections: NodeConnections, node: NodeRef, slot: number): Promise<MasterState> {
  const client = await connections.get(node.address);
  const [view, keys] = await Promise.all([readClusterView(client), countKeysInSlots(client, [[slot, slot]])]);
  const state = slotStatesOf(view);
  if (state.myId !== node.id) {
    throw new DomainError('precondition', 'node_id_mismatch', `${node.address} is node ${state.myId}, not ${node.id}`);
  }
  return { node, client, state, keys };
}
