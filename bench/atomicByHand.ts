/**
 * The reference point of the atomic benchmarks: the servers' own atomic slot migration driven by
 * hand, as an operator would type it, with nothing of slotsmith in between: one command per move
 * (Valkey `CLUSTER MIGRATESLOTS` on the source, Redis `CLUSTER MIGRATION IMPORT` on the target),
 * polling the job state every 10 ms until every job has ended.
 */
import { Redis } from 'ioredis';

export interface HandMove {
  readonly from: { readonly id: string; readonly address: string };
  readonly to: { readonly id: string; readonly address: string };
  readonly slots: readonly (readonly [number, number])[];
}

function client(address: string): Redis {
  const i = address.lastIndexOf(':');
  return new Redis({ host: address.slice(0, i), port: Number(address.slice(i + 1)) });
}

function fields(entry: unknown[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < entry.length; i += 2) map.set(String(entry[i]), String(entry[i + 1]));
  return map;
}

/**
 * Runs the moves with the server's own commands and resolves when every job has succeeded (rejects
 * on a failed one). Valkey takes every job at once; Redis 8 one task per node at a time, so there a
 * move starts as soon as neither of its nodes takes part in a running job, as an operator would
 * have to do it.
 */
export async function migrateAtomicallyByHand(dialect: 'valkey' | 'redis', moves: readonly HandMove[]): Promise<void> {
  const clients = new Map<string, Redis>();
  const get = (a: string) => clients.get(a) ?? (clients.set(a, client(a)), clients.get(a)!);
  const pending = [...moves];
  const running: { move: HandMove; at: Redis; id: string }[] = [];
  const busy = (m: HandMove) => running.some((r) => [r.move.from.id, r.move.to.id].some((id) => id === m.from.id || id === m.to.id));
  try {
    while (pending.length > 0 || running.length > 0) {
      for (let i = 0; i < pending.length; i++) {
        const m = pending[i]!;
        if (dialect === 'redis' && busy(m)) continue;
        pending.splice(i--, 1);
        const flat = m.slots.flatMap(([a, b]) => [a, b]);
        if (dialect === 'redis') {
          const at = get(m.to.address);
          running.push({ move: m, at, id: String(await at.call('CLUSTER', 'MIGRATION', 'IMPORT', ...flat)) });
        } else {
          const at = get(m.from.address);
          await at.call('CLUSTER', 'MIGRATESLOTS', 'SLOTSRANGE', ...flat, 'NODE', m.to.id);
          running.push({ move: m, at, id: `${m.slots.map(([a, b]) => `${a}-${b}`).join(' ')}|${m.to.id}` });
        }
      }
      await new Promise((r) => setTimeout(r, 10));
      const states = await Promise.all(running.map(async (j) => {
        if (dialect === 'redis') return fields(((await j.at.call('CLUSTER', 'MIGRATION', 'STATUS', 'ID', j.id)) as unknown[][])[0] ?? []).get('state');
        const [ranges, target] = j.id.split('|');
        const entry = ((await j.at.call('CLUSTER', 'GETSLOTMIGRATIONS')) as unknown[][]).map(fields)
          .find((e) => e.get('operation') === 'EXPORT' && e.get('slot_ranges') === ranges && e.get('target_node') === target);
        return entry?.get('state');
      }));
      if (states.some((s) => s === 'failed' || s === 'cancelled' || s === 'canceled')) throw new Error(`a job ended ${states.join(', ')}`);
      for (let i = states.length - 1; i >= 0; i--) if (states[i] === 'success' || states[i] === 'completed') running.splice(i, 1);
    }
  } finally {
    for (const c of clients.values()) c.disconnect();
  }
}
