import type { MigrationJob } from '../domain/migrationJob.ts';
import { capabilitiesOf, describeServer } from '../domain/serverCapabilities.ts';
import type { DeliveryView, WebhookView } from '../contract/webhookView.ts';
import type { DeliveryRecord, WebhookRecord } from '../store/webhooks.ts';
import type { ClusterView, ObservedView } from '../contract/clusterView.ts';
import type { EventView, MigrationJobView, OperationView } from '../contract/operationView.ts';
import { problemOfOperation } from '../contract/problem.ts';
import type { TokenView } from '../contract/tokenView.ts';
import type { ClusterHealth } from '../domain/clusterHealth.ts';
import type { ClusterSnapshot } from '../domain/clusterSnapshot.ts';
import type { ClusterRecord, EventRecord, OperationRecord, TokenRecord } from '../store/records.ts';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The operation as the API shows it: steps without their parameters, the error as problem details. */
export function toOperationView(op: OperationRecord): OperationView {
  return {
    id: op.id,
    kind: op.kind,
    cluster: op.clusterName,
    status: op.status,
    steps: op.steps.map((s) => ({
      id: s.id, kind: s.kind, title: s.title, status: s.status,
      startedAt: s.startedAt, finishedAt: s.finishedAt, detail: s.detail,
      ...(s.kind === 'move_slots' && s.outputs ? { jobs: s.outputs.jobs.map(toJobView) } : {}),
    })),
    progress: op.progress,
    error: op.error ? problemOfOperation(op.error) : null,
    requestedBy: op.requestedBy,
    createdAt: op.createdAt.toISOString(),
    startedAt: iso(op.startedAt),
    finishedAt: iso(op.finishedAt),
  };
}

/** A cluster with its status and, when the nodes were asked, what they report. */
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
      healing: { ...cluster.healing, failover: cluster.healing.failover ? { ...cluster.healing.failover } : null },
    },
    status,
    observed,
    createdAt: cluster.createdAt.toISOString(),
    updatedAt: cluster.updatedAt.toISOString(),
  };
}

/** What the observer saw, `ageSeconds` before `now`, with each node's health. */
export function toObservedView(snapshot: ClusterSnapshot, health: ClusterHealth, now: Date): ObservedView {
  const healthOf = new Map(health.nodes.map((n) => [n.id, n]));
  const servers = [...new Set(snapshot.nodes.flatMap((n) => (n.stats ? [describeServer(n.stats)] : [])))].sort();
  return {
    observedAt: snapshot.observedAt,
    ageSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(snapshot.observedAt)) / 100) / 10),
    nodes: snapshot.nodes.map((n) => {
      const h = healthOf.get(n.id);
      return {
        id: n.id, address: n.address, hostname: n.hostname, role: n.role, masterId: n.masterId,
        flags: [...n.flags, ...(n.failBy.length > 0 ? ['fail'] : n.pfailBy.length > 0 ? ['fail?'] : [])],
        linkState: n.linkDownFrom.length > 0 ? 'disconnected' : 'connected',
        configEpoch: n.configEpoch,
        slots: n.slots.map((r) => [r[0], r[1]] as const),
        migrating: n.migrating.map((m) => ({ ...m })), importing: n.importing.map((m) => ({ ...m })),
        health: {
          reachable: n.reachable, pfail: h?.pfail ?? false, failed: h?.failed ?? false, loading: h?.loading ?? false,
          replicaLink: h?.replicaLink ?? null, lagBytes: h?.lagBytes ?? null, lagSeconds: h?.lagSeconds ?? null, failingSince: h?.failingSince ?? null,
        },
        server: n.stats ? { flavour: n.stats.flavour, version: n.stats.version, atomicSlotMigration: capabilitiesOf(n.stats).atomicSlotMigration } : null,
        memoryBytes: n.stats?.usedMemoryBytes ?? null,
        keys: n.stats?.keys ?? null,
      };
    }),
    unreachable: snapshot.unreachable.map((u) => ({ address: u.address, reason: u.reason })),
    servers,
    mixedVersions: servers.length > 1,
  };
}

/** An event of an operation's timeline. */
export function toEventView(e: EventRecord): EventView {
  return {
    id: e.id, at: e.at.toISOString(), type: e.type, message: e.message, cluster: e.clusterName, operationId: e.operationId,
    nodes: [...(e.nodes ?? [])], data: e.data ? { ...e.data } : null,
  };
}

/** A webhook without its secret. */
export function toWebhookView(record: WebhookRecord): WebhookView {
  return {
    id: record.id, url: record.url, events: [...record.eventTypes], clusters: record.clusters ? [...record.clusters] : null,
    createdBy: record.createdBy, createdAt: record.createdAt.toISOString(),
  };
}

/** One delivery and its last attempt. */
export function toDeliveryView(d: DeliveryRecord): DeliveryView {
  return {
    id: d.id, eventId: d.eventId, status: d.status, attempts: d.attempts, nextAttemptAt: d.nextAttemptAt.toISOString(),
    lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null, lastStatus: d.lastStatus, lastResponse: d.lastResponse, lastError: d.lastError,
    deliveredAt: d.deliveredAt?.toISOString() ?? null, createdAt: d.createdAt.toISOString(),
  };
}

/** A token without its secret or hash. */
export function toTokenView(record: TokenRecord): TokenView {
  return {
    id: record.id,
    name: record.name,
    role: record.role,
    createdAt: record.createdAt.toISOString(),
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
  };
}

/** An atomic migration job of a step, as the APIs show it. */
function toJobView(j: MigrationJob): MigrationJobView {
  return {
    id: j.id, from: { ...j.from }, to: { ...j.to }, slots: j.slots.map((r) => [r[0], r[1]] as const), slotCount: j.slotCount,
    state: j.state, phase: j.phase, message: j.message, keys: j.keys, keysArrived: j.keysArrived ?? null, attempt: j.attempt,
  };
}
