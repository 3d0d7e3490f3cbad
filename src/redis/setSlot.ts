import type { ChainableCommander, Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import { SLOT_COUNT } from '../domain/slotRange.ts';
import { addressOf } from './nodeAddress.ts';
import { readClusterView, type ClusterView } from './readClusterView.ts';
import { settlePipeline } from './settlePipeline.ts';

/** What one node says about each slot in its own `CLUSTER NODES`: owner, and its own open states. */
export interface SlotStates {
  readonly myId: string;
  /** Owner id per slot in this node's view (undefined = nobody). */
  readonly owners: readonly (string | undefined)[];
  /** slot -> node id this node is migrating it to. */
  readonly migrating: ReadonlyMap<number, string>;
  /** slot -> node id this node is importing it from. */
  readonly importing: ReadonlyMap<number, string>;
}

/** Reads the slot states of the node behind `client` (one `CLUSTER NODES`). */
export async function readSlotStates(client: Redis): Promise<SlotStates> {
  return slotStatesOf(await readClusterView(client));
}

/** Builds {@link SlotStates} from an already read view. */
export function slotStatesOf(view: ClusterView): SlotStates {
  const owners = new Array<string | undefined>(SLOT_COUNT);
  for (const node of view.nodes) {
    if (node.role !== 'master') continue;
    for (const [start, end] of node.slots) owners.fill(node.id, start, end + 1);
  }
  return {
    myId: view.myself.id,
    owners,
    migrating: new Map(view.myself.migrating.map((o) => [o.slot, o.nodeId])),
    importing: new Map(view.myself.importing.map((o) => [o.slot, o.nodeId])),
  };
}

/**
 * Marks `slots` as importing from `sourceId` on the target (`CLUSTER SETSLOT s IMPORTING src`,
 * all in one pipeline). Skips slots already importing from that source and slots the target
 * already serves (their move has finished). `known` is the target's state as the caller has just
 * read it (saves the read; each setSlot function accepts one).
 *
 * @returns how many slots were changed.
 * @example await setSlotImporting(target, [100, 101], sourceId)
 */
export async function setSlotImporting(target: Redis, slots: readonly number[], sourceId: string, known?: SlotStates): Promise<number> {
  const state = known ?? (await readSlotStates(target));
  const pending = slots.filter((s) => state.owners[s] !== state.myId && state.importing.get(s) !== sourceId);
  return sendSetSlot(target, pending, (p, s) => p.call('CLUSTER', 'SETSLOT', s, 'IMPORTING', sourceId), `IMPORTING ${sourceId}`);
}

/**
 * Marks `slots` as migrating to `targetId` on the source (`CLUSTER SETSLOT s MIGRATING dst`, one
 * pipeline). Call it only after {@link setSlotImporting} on the target, so that the ASK redirects
 * it causes land on a node that accepts them. Skips slots already migrating to that target and
 * slots this node no longer serves (their move has finished).
 *
 * @returns how many slots were changed.
 */
export async function setSlotMigrating(source: Redis, slots: readonly number[], targetId: string, known?: SlotStates): Promise<number> {
  const state = known ?? (await readSlotStates(source));
  const pending = slots.filter((s) => state.owners[s] === state.myId && state.migrating.get(s) !== targetId);
  return sendSetSlot(source, pending, (p, s) => p.call('CLUSTER', 'SETSLOT', s, 'MIGRATING', targetId), `MIGRATING ${targetId}`);
}

/**
 * Assigns `slots` to `ownerId` in the view of the node behind `client` (`CLUSTER SETSLOT s NODE
 * id`, one pipeline). On the new owner this also closes the import and bumps its config epoch; on
 * the old owner it closes the migration (Redis refuses while the node still holds keys of the
 * slot, which surfaces as a `setslot_refused` error). Skips slots this node already sees served by
 * `ownerId` with nothing open on itself.
 *
 * Order matters (cluster specification, live resharding): the new owner first, then the old one,
 * then the other masters.
 *
 * @returns how many slots were changed.
 */
export async function setSlotNode(client: Redis, slots: readonly number[], ownerId: string): Promise<number> {
  const state = await readSlotStates(client);
  const pending = slots.filter(
    (s) => state.owners[s] !== ownerId || state.migrating.has(s) || (ownerId === state.myId && state.importing.has(s)),
  );
  return sendSetSlot(client, pending, (p, s) => p.call('CLUSTER', 'SETSLOT', s, 'NODE', ownerId), `NODE ${ownerId}`);
}

/**
 * Closes any open state of `slots` on the node behind `client` (`CLUSTER SETSLOT s STABLE`, one
 * pipeline), leaving ownership as this node sees it. Skips slots with nothing open on this node.
 *
 * @returns how many slots were changed.
 */
export async function setSlotStable(client: Redis, slots: readonly number[]): Promise<number> {
  const state = await readSlotStates(client);
  const pending = slots.filter((s) => state.migrating.has(s) || state.importing.has(s));
  return sendSetSlot(client, pending, (p, s) => p.call('CLUSTER', 'SETSLOT', s, 'STABLE'), 'STABLE');
}

async function sendSetSlot(
  client: Redis,
  slots: readonly number[],
  queue: (pipeline: ChainableCommander, slot: number) => void,
  what: string,
): Promise<number> {
  if (slots.length === 0) return 0;
  const pipeline = client.pipeline();
  for (const slot of slots) queue(pipeline, slot);
  const replies = await settlePipeline(pipeline);
  const failedAt = replies.findIndex(([err]) => err !== null);
  if (failedAt >= 0) {
    const err = replies[failedAt]?.[0] as Error;
    const failures = replies.filter(([e]) => e !== null).length;
    throw new DomainError(
      'precondition',
      'setslot_refused',
      `${addressOf(client)}: CLUSTER SETSLOT ${slots[failedAt]} ${what} failed: ${err.message}` +
        (failures > 1 ? ` (and ${failures - 1} more slot(s) failed)` : ''),
      [],
      { cause: err },
    );
  }
  return slots.length;
}
