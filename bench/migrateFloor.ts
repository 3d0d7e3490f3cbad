/**
 * The physical floor of the key engine, as a reference point: the plainest fast client of the
 * cluster specification's live resharding for the same moves, with none of slotsmith's safety
 * (no resume, no cancel, no batching by bytes, no BUSYKEY handling, no progress): per move, one
 * pipeline of `SETSLOT IMPORTING` on the target and one of `SETSLOT MIGRATING` on the source for
 * all its slots, then for each slot `GETKEYSINSLOT` and one `MIGRATE ... KEYS` (pipelined over all
 * slots: the source runs them one after another anyway), then `SETSLOT NODE` on the target, the
 * source and the other masters, one pipeline each.
 */
import { Redis } from 'ioredis';
import type { HandMove } from './atomicByHand.ts';
import { rangesToSlots } from '../src/domain/slotSet.ts';

const BATCH = 256;

function client(address: string): Redis {
  const i = address.lastIndexOf(':');
  return new Redis({ host: address.slice(0, i), port: Number(address.slice(i + 1)) });
}

/** Runs the moves one after another; `masters` are told each new owner. Rejects on any error reply. */
export async function migrateFloor(moves: readonly HandMove[], masters: readonly string[]): Promise<void> {
  const clients = new Map<string, Redis>();
  const get = (a: string) => clients.get(a) ?? (clients.set(a, client(a)), clients.get(a)!);
  const exec = async (c: Redis, commands: (string | number)[][]) => {
    const p = c.pipeline();
    for (const cmd of commands) p.call(String(cmd[0]), ...cmd.slice(1));
    const replies = (await p.exec()) ?? [];
    const failed = replies.find(([err]) => err);
    if (failed) throw failed[0];
    return replies.map(([, v]) => v);
  };
  try {
    for (const move of moves) {
      const source = get(move.from.address);
      const target = get(move.to.address);
      const [host, port] = [move.to.address.slice(0, move.to.address.lastIndexOf(':')), Number(move.to.address.slice(move.to.address.lastIndexOf(':') + 1))];
      const slots = rangesToSlots(move.slots);
      await exec(target, slots.map((s) => ['CLUSTER', 'SETSLOT', s, 'IMPORTING', move.from.id]));
      await exec(source, slots.map((s) => ['CLUSTER', 'SETSLOT', s, 'MIGRATING', move.to.id]));
      for (let i = 0; i < slots.length; i += BATCH) {
        const batch = slots.slice(i, i + BATCH);
        const keys = (await exec(source, batch.map((s) => ['CLUSTER', 'GETKEYSINSLOT', s, 100_000]))) as string[][];
        const migrates = keys.filter((k) => k.length > 0).map((k) => ['MIGRATE', host, port, '', 0, 5000, 'KEYS', ...k]);
        if (migrates.length > 0) await exec(source, migrates);
      }
      await exec(target, slots.map((s) => ['CLUSTER', 'SETSLOT', s, 'NODE', move.to.id]));
      await exec(source, slots.map((s) => ['CLUSTER', 'SETSLOT', s, 'NODE', move.to.id]));
      await Promise.all(masters.filter((m) => m !== move.from.address && m !== move.to.address)
        .map((m) => exec(get(m), slots.map((s) => ['CLUSTER', 'SETSLOT', s, 'NODE', move.to.id]))));
    }
  } finally {
    for (const c of clients.values()) c.disconnect();
  }
}
