import type { Step, StepKind } from './operation.ts';

/**
 * Lowered on a node whose role changes, for the duration of the change, and restored afterwards
 * (also on failure). Two Redis timers make a change slow to be seen, both driven by this value:
 * a master reports `cluster_state:ok` only a rejoin delay of min(max(node timeout, 500 ms), 5 s)
 * after it last was in the minority, which a lone new node always is; and the other nodes learn a
 * node's new role only from that node's own pings, which it sends each peer at least every
 * node timeout / 2 (7.5 s with the common 15 s). At 500 ms every node sees the new role within
 * ~0.3 s. Only the node that changes is tuned: the short timeout makes that one node quick to
 * suspect others, but marking a node as failed takes the reports of a majority of the masters,
 * so it cannot fail anyone over on its own.
 */
export const ROLE_CHANGE_TUNING: Readonly<Record<string, string>> = { 'cluster-node-timeout': '500' };

/** A node as a step stores it: its id and the address the worker connects to. */
export interface NodeRef {
  readonly id: string;
  readonly address: string;
}

/** A replica (by address) and the master it must follow. */
export interface ReplicaPair {
  readonly replica: string;
  readonly master: NodeRef;
}

/** A role every node must report for `address` before a topology change counts as done. */
export interface RoleExpectation {
  readonly address: string;
  readonly role: 'master' | 'replica';
  /** For a replica: the address of its master. */
  readonly master?: string;
}

/** Parameters of `wait_topology`, the last step of every topology change. */
export interface WaitTopologyParams {
  /** The nodes that must all see the expected roles (and, with `ready`, be ready). */
  readonly nodes: readonly string[];
  readonly expect: readonly RoleExpectation[];
  /** Nodes no one may know any more (a removed node). */
  readonly absent: readonly NodeRef[];
  /** Also require design.md's readiness over `nodes` (false only when some node is down). */
  readonly ready: boolean;
  readonly timeoutSeconds: number;
}

/** One step as a planner writes it: kind, human title, frozen parameters. */
export type StepSpec = readonly [kind: StepKind, title: string, params: object];

/** Numbers the specs into pending steps (`1-check_new_node`, ...). */
export function buildSteps(specs: readonly StepSpec[]): Step[] {
  return specs.map(([kind, title, params], i) => ({
    id: `${i + 1}-${kind}`,
    kind,
    title,
    params: params as Record<string, unknown>,
    status: 'pending',
    startedAt: null,
    finishedAt: null,
    detail: null,
    outputs: null,
  }));
}

/**
 * The last step of every operation that moves slots, and a cleanup step (it runs also after a
 * failure or a cancel): the desired topology's shard slots become what the masters serve now.
 */
export const RECORD_SLOTS_STEP: StepSpec = ['record_slots', 'Record the slots each master serves in the desired topology', {}];

/** The closing `wait_topology` step. */
export function waitTopologyStep(title: string, params: WaitTopologyParams): StepSpec {
  return ['wait_topology', title, params];
}
