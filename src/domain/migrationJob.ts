import type { NodeRef } from './nodeRef.ts';
import type { SlotRange } from './slotRange.ts';

/** Where an atomic migration job stands, as the worker last saw it. */
export type MigrationJobState = 'starting' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'missing';

/**
 * One atomic slot migration job of an operation, as the `move_slots` step records it (its
 * outputs), so that a resumed run adopts the jobs the servers still run instead of starting them
 * twice. Written before the job is asked for (`starting`, `id` null, `requestedAt`), again with the
 * server's id once it answered, and on every change of state.
 */
export interface MigrationJob {
  readonly from: NodeRef;
  readonly to: NodeRef;
  readonly slots: readonly SlotRange[];
  readonly slotCount: number;
  /** The server's id: Valkey's job name, Redis's task id; null until the server answered. */
  readonly id: string | null;
  /** When slotsmith asked for it, in ms since the epoch (to find it by its slots if `id` was never stored). */
  readonly requestedAt: number;
  readonly state: MigrationJobState;
  /** The server's own state name (`snapshotting`, `send-bulk-and-stream`, `success`, ...). */
  readonly phase: string;
  /** The server's message or last error ('' when none). */
  readonly message: string;
  /** Keys its slots held on the source when it started (an estimate of what it moves). */
  readonly keys: number;
  /** 1 for the first job of a move, 2+ for retries of what an earlier job did not move. */
  readonly attempt: number;
}

/** Terminal states: the job no longer runs on the servers. */
export function isJobFinished(state: MigrationJobState): boolean {
  return state !== 'starting' && state !== 'running';
}

/** An atomic migration job a node runs now, whoever started it (as `check` reports it). */
export interface AtomicJobInFlight {
  /** The node that lists it. */
  readonly address: string;
  readonly id: string;
  /** `export` on the source, `import` on the target. */
  readonly direction: 'export' | 'import';
  readonly slots: readonly SlotRange[];
  /** The node id at the other end. */
  readonly peer: string;
  /** The server's own state name. */
  readonly phase: string;
}
