import type { ObservedNode } from '../domain/observedTopology.ts';
import type { OperationStatus, Problem, Progress, StepStatus } from '../domain/operation.ts';
import type { SlotRange } from '../domain/slotRange.ts';
import type { ClusterRecord, OperationRecord } from '../store/records.ts';

/** The operation as every API shows it (the body of each 202, of GET /v1/operations/{id}, ...). */
export interface OperationView {
  id: string;
  kind: string;
  cluster: string;
  status: OperationStatus;
  steps: { id: string; kind: string; title: string; status: StepStatus; startedAt: string | null; finishedAt: string | null; detail: string | null }[];
  progress: Progress;
  error: Problem | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export type ClusterPhaseView = 'creating' | 'ready' | 'degraded' | 'failed';

export interface ObservedView {
  observedAt: string;
  nodes: {
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
  }[];
  unreachable: { address: string; reason: string }[];
}

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

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toOperationView(op: OperationRecord): OperationView {
  return {
    id: op.id,
    kind: op.kind,
    cluster: op.clusterName,
    status: op.status,
    steps: op.steps.map((s) => ({
      id: s.id, kind: s.kind, title: s.title, status: s.status,
      startedAt: s.startedAt, finishedAt: s.finishedAt, detail: s.detail,
    })),
    progress: op.progress,
    error: op.error,
    createdAt: op.createdAt.toISOString(),
    startedAt: iso(op.startedAt),
    finishedAt: iso(op.finishedAt),
  };
}

export function toClusterView(
  cluster: ClusterRecord,
  status: ClusterView['status'],
  observed: ObservedView | null,
): ClusterView {
  return {
    name: cluster.name,
    spec: {
      nodes: [...cluster.spec.nodes],
      replicasPerShard: cluster.spec.replicasPerShard,
      shards: cluster.spec.shards.map((s) => ({
        index: s.index, master: s.master, replicas: [...s.replicas], slots: s.slots.map((r) => [r[0], r[1]] as const),
      })),
      authConfigured: cluster.auth !== null,
    },
    status,
    observed,
    createdAt: cluster.createdAt.toISOString(),
    updatedAt: cluster.updatedAt.toISOString(),
  };
}

export function toObservedView(observedAt: Date, nodes: readonly ObservedNode[], unreachable: readonly { address: string; reason: string }[]): ObservedView {
  return {
    observedAt: observedAt.toISOString(),
    nodes: nodes.map((n) => ({
      id: n.id, address: n.address, hostname: n.hostname, role: n.role, masterId: n.masterId,
      flags: [...n.flags], linkState: n.linkState, configEpoch: n.configEpoch,
      slots: n.slots.map((r) => [r[0], r[1]] as const),
      migrating: n.migrating.map((m) => ({ ...m })), importing: n.importing.map((m) => ({ ...m })),
    })),
    unreachable: unreachable.map((u) => ({ ...u })),
  };
}
