import type { ClusterCheck } from '../domain/checkCluster.ts';
import type { NodeProblem } from '../domain/operation.ts';
import type { SlotRange } from '../domain/slotRange.ts';

export type ClusterPhaseView = 'creating' | 'ready' | 'degraded' | 'failed';

/** One node as the cluster reports it (one line of `CLUSTER NODES`). */
export interface ObservedNodeView {
  id: string;
  address: string;
  hostname: string | null;
  role: 'master' | 'replica';
  masterId: string | null;
  flags: string[];
  linkState: 'connected' | 'disconnected';
  configEpoch: number;
  slots: SlotRange[];
  migrating: { slot: number; nodeId: string }[];
  importing: { slot: number; nodeId: string }[];
}

/** What the nodes reported at `observedAt`, and the addresses that did not answer. */
export interface ObservedView {
  observedAt: string;
  nodes: ObservedNodeView[];
  unreachable: NodeProblem[];
}

/** A cluster: its desired topology (`spec`), its status, and what its nodes report. */
export interface ClusterView {
  name: string;
  spec: {
    nodes: string[];
    replicasPerShard: number;
    shards: { index: number; master: string; replicas: string[]; slots: SlotRange[] }[];
    authConfigured: boolean;
  };
  status: { phase: ClusterPhaseView; problems: string[] };
  /** What the nodes themselves report; null in lists, where the nodes are not asked. */
  observed: ObservedView | null;
  createdAt: string;
  updatedAt: string;
}

/** What `GET /v1/clusters/{name}/check` (gRPC `CheckCluster`) answers. */
export type ClusterCheckView = ClusterCheck & {
  cluster: string;
  checkedAt: string;
  /** Masters whose function libraries differ from those most masters hold, with theirs. */
  functionDrift: { address: string; libraries: string[] }[];
  /** Keys a master holds in slots it neither serves nor imports (clients cannot reach them). */
  strayKeys: { address: string; slots: SlotRange[]; keys: number }[];
};
