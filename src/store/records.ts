import { NO_HEALING, type HealingPolicy } from '../domain/healingPolicy.ts';
import type { OperationError, OperationKind, OperationStatus, Progress, ShardPlan, Step } from '../domain/operation.ts';

/** Credentials slotsmith uses to talk to the nodes of a cluster. Never returned by the API, never logged. */
export interface NodeAuth {
  readonly username?: string;
  readonly password?: string;
}

/** The desired topology of a cluster, as asked for and as planned. */
export interface ClusterSpec {
  readonly nodes: readonly string[];
  readonly replicasPerShard: number;
  readonly shards: readonly ShardPlan[];
}

export type ClusterPhase = 'creating' | 'ready' | 'failed';

export interface ClusterRecord {
  readonly id: string;
  readonly name: string;
  readonly spec: ClusterSpec;
  readonly auth: NodeAuth | null;
  readonly phase: ClusterPhase;
  /** What slotsmith may repair by itself (off unless asked). */
  readonly healing: HealingPolicy;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** One desired node of a cluster; `redisNodeId` is filled in once the node is part of the cluster. */
export interface NodeRecord {
  readonly clusterId: string;
  readonly address: string;
  readonly role: 'master' | 'replica';
  readonly shardIndex: number;
  readonly redisNodeId: string | null;
}

export interface OperationRecord {
  readonly id: string;
  readonly clusterId: string;
  readonly clusterName: string;
  readonly kind: OperationKind;
  readonly status: OperationStatus;
  readonly steps: Step[];
  readonly progress: Progress;
  readonly error: OperationError | null;
  readonly requestedBy: string | null;
  readonly lockedBy: string | null;
  readonly leaseExpiresAt: Date | null;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly updatedAt: Date;
}

export interface EventRecord {
  readonly id: string;
  /** The operation whose timeline it belongs to; null for what the observer saw. */
  readonly operationId: string | null;
  readonly clusterName: string | null;
  readonly at: Date;
  readonly type: string;
  readonly message: string;
  readonly data: Readonly<Record<string, unknown>> | null;
  readonly nodes: readonly string[] | null;
}

export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly role: 'admin' | 'operator' | 'viewer';
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
}

/** A page of results; `nextPageToken` is null on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly nextPageToken: string | null;
}
