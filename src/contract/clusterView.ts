import type { LeftSetting } from '../domain/leftSettings.ts';
import type { AtomicDialect } from '../domain/serverCapabilities.ts';
import type { HealingPolicy } from '../domain/healingPolicy.ts';
import type { ClusterCheck } from '../domain/checkCluster.ts';
import type { Condition } from '../domain/clusterHealth.ts';
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
  /** The node's health as the observer judged it. */
  health: {
    reachable: boolean;
    /** Flagged `fail?` by some node (PFAIL), `fail` by the cluster (FAIL). */
    pfail: boolean;
    failed: boolean;
    loading: boolean;
    /** A replica's link to its master; null on a master. */
    replicaLink: 'up' | 'down' | null;
    lagBytes: number | null;
    lagSeconds: number | null;
    failingSince: string | null;
  };
  /**
   * What it said about itself, and the atomic slot migration its server speaks (`valkey`: Valkey
   * >= 9.0, `redis`: Redis >= 8.4, null: key by key only); null when it did not answer.
   */
  server: { flavour: 'redis' | 'valkey'; version: string; atomicSlotMigration: AtomicDialect | null } | null;
  memoryBytes: number | null;
  keys: number | null;
}

/** What the nodes reported at `observedAt` (`ageSeconds` ago), and the addresses that did not answer. */
export interface ObservedView {
  observedAt: string;
  ageSeconds: number;
  nodes: ObservedNodeView[];
  unreachable: NodeProblem[];
  /** The servers the nodes run, e.g. `["Valkey 9.1.2"]`; more than one: `mixedVersions`. */
  servers: string[];
  /** The nodes run different servers or versions (a rolling upgrade, or a mistake). */
  mixedVersions: boolean;
}

/** A cluster: its desired topology (`spec`), its status, and what its nodes report. */
export interface ClusterView {
  name: string;
  spec: {
    nodes: string[];
    replicasPerShard: number;
    shards: { index: number; master: string; replicas: string[]; slots: SlotRange[] }[];
    authConfigured: boolean;
    /** What slotsmith repairs by itself (see `PUT /v1/clusters/{name}/healing`). */
    healing: HealingPolicy;
  };
  /**
   * `phase` in one word; `conditions` (Ready, Degraded, Reconciling) with their reasons and
   * transition times; `problems` in words.
   */
  status: { phase: ClusterPhaseView; problems: string[]; conditions: Condition[] };
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
  /** Atomic slot migration jobs running now: not open slots, and their target's keys are not stray. */
  migrationsInFlight: { address: string; id: string; direction: 'export' | 'import'; slots: SlotRange[]; peer: string; phase: string }[];
  /** Settings finished operations left changed on nodes (a restoring step failed), which a fix puts back. */
  settingsLeftChanged: LeftSetting[];
};
