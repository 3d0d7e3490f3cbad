import type { HealingPolicy } from '../../domain/healingPolicy.ts';
import type { DeliveryView, WebhookView } from '../../contract/webhookView.ts';
import type { ClusterCheckView, ClusterView } from '../../contract/clusterView.ts';
import type { EventView, OperationView } from '../../contract/operationView.ts';
import type { PlanView } from '../../contract/planView.ts';
import type { TokenView } from '../../contract/tokenView.ts';

/** Protobuf has no null: absent fields are simply left out. */
function withoutNulls(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const mapped = withoutNulls(v);
      if (mapped !== undefined) out[k] = mapped;
    }
    return out;
  }
  return value;
}

const slotRanges = (ranges: readonly (readonly [number, number])[]) => ranges.map(([start, end]) => ({ start, end }));

/** The Operation message for an operation view. */
export function operationMessage(op: OperationView): unknown {
  return withoutNulls({ ...op, steps: op.steps.map((s) => (s.jobs ? { ...s, jobs: s.jobs.map((j) => ({ ...j, slots: slotRanges(j.slots) })) } : s)) });
}

/** The Cluster message for a cluster view (slot ranges become SlotRange messages). */
export function clusterMessage(c: ClusterView): unknown {
  return withoutNulls({
    ...c,
    spec: { ...c.spec, shards: c.spec.shards.map((s) => ({ ...s, slots: slotRanges(s.slots) })), healing: healingMessage(c.spec.healing) },
    observed: c.observed && {
      ...c.observed,
      nodes: c.observed.nodes.map((n) => ({ ...n, slots: slotRanges(n.slots) })),
    },
  });
}

/** The ClusterCheck message (disagreeing nodes reuse the address/reason shape of UnreachableNode). */
export function checkMessage(c: ClusterCheckView): unknown {
  return withoutNulls({
    ...c, uncoveredSlots: slotRanges(c.uncoveredSlots), strayKeys: c.strayKeys.map((k) => ({ ...k, slots: slotRanges(k.slots) })),
    migrationsInFlight: c.migrationsInFlight.map((m) => ({ ...m, slots: slotRanges(m.slots) })),
  });
}

/** The Plan message of any dry run (slot ranges become SlotRange messages). */
export function planMessage(view: PlanView): unknown {
  const { dryRun: _dryRun, ...plan } = view;
  return withoutNulls({
    ...plan,
    moves: plan.moves.map((m) => ({ ...m, slots: slotRanges(m.slots) })),
    shards: plan.shards.map((s) => ({ ...s, slots: slotRanges(s.slots) })),
    assignments: plan.assignments.map((a) => ({ ...a, slots: slotRanges(a.slots) })),
  });
}

/** ChangeResponse: the queued operation, or the plan of a dry run. */
export function changeMessage(result: OperationView | PlanView): { operation?: unknown; plan?: unknown } {
  return 'dryRun' in result ? { plan: planMessage(result) } : { operation: operationMessage(result) };
}

/**
 * The service's reshard input from a ReshardRequest: SlotRange messages become `[start, end]` pairs
 * (an unset field is 0 in protobuf), and the cluster name is not part of the body.
 */
export function reshardInputOf(req: Record<string, unknown>): unknown {
  const { cluster: _cluster, moves, ...rest } = req;
  if (!Array.isArray(moves)) return rest;
  return {
    ...rest,
    moves: moves.map((m: { slots?: { start?: number; end?: number }[]; to?: string }) => ({
      ...m,
      slots: (m.slots ?? []).map((r) => [r.start ?? 0, r.end ?? 0]),
    })),
  };
}

/** A token for gRPC: times as RFC 3339 strings, an empty string for "never used". */
export function tokenMessage(token: TokenView): Record<string, unknown> {
  return { ...token, lastUsedAt: token.lastUsedAt ?? '' };
}

/**
 * A HealingPolicy message in the REST body's terms: a failover policy with `after_seconds` 0 is
 * none, `forget_after_seconds` 0 is never.
 */
export function healingInputOf(message: unknown): Record<string, unknown> {
  const policy = (message ?? {}) as { replicaMigration?: boolean; failover?: { afterSeconds?: number; takeover?: boolean }; forgetAfterSeconds?: number };
  return {
    ...(policy.replicaMigration ? { replicaMigration: true } : {}),
    ...(policy.failover?.afterSeconds ? { failover: { afterSeconds: policy.failover.afterSeconds, ...(policy.failover.takeover ? { takeover: true } : {}) } } : {}),
    ...(policy.forgetAfterSeconds ? { forgetAfterSeconds: policy.forgetAfterSeconds } : {}),
  };
}

/** A CreateCluster or AdoptCluster request with its `healing` message in the REST body's terms. */
export function withHealingInput(req: Record<string, unknown>): Record<string, unknown> {
  return req.healing === undefined ? req : { ...req, healing: healingInputOf(req.healing) };
}

/** The HealingPolicy message (off parts as zero values). */
export function healingMessage(policy: HealingPolicy): Record<string, unknown> {
  return { replicaMigration: policy.replicaMigration, ...(policy.failover ? { failover: policy.failover } : {}), forgetAfterSeconds: policy.forgetAfterSeconds ?? 0 };
}

/** The Webhook message (every cluster as an empty list). */
export function webhookMessage(w: WebhookView): Record<string, unknown> {
  return { ...w, clusters: w.clusters ?? [], createdBy: w.createdBy ?? '' };
}

/** The Delivery message (nulls as empty strings and 0). */
export function deliveryMessage(d: DeliveryView): Record<string, unknown> {
  return {
    ...d, lastAttemptAt: d.lastAttemptAt ?? '', lastStatus: d.lastStatus ?? 0, lastResponse: d.lastResponse ?? '', lastError: d.lastError ?? '',
    deliveredAt: d.deliveredAt ?? '',
  };
}

/** A CreateWebhook request in the REST body's terms: an empty cluster list is every cluster. */
export function webhookInputOf(req: Record<string, unknown>): Record<string, unknown> {
  return { url: req.url ?? '', events: req.events ?? [], ...(Array.isArray(req.clusters) && req.clusters.length > 0 ? { clusters: req.clusters } : {}) };
}

/** The Event message (data as JSON text, nulls as empty strings). */
export function eventMessage(e: EventView): Record<string, unknown> {
  return {
    id: e.id, at: e.at, type: e.type, message: e.message, cluster: e.cluster ?? '', operationId: e.operationId ?? '',
    nodes: e.nodes, dataJson: e.data ? JSON.stringify(e.data) : '',
  };
}

/** The event query of a ListEvents or WatchEvents request, in the REST query's terms. */
export function eventQueryOf(req: Record<string, unknown>): Record<string, unknown> {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const types = Array.isArray(req.types) && req.types.length > 0 ? req.types.join(',') : undefined;
  return Object.fromEntries(Object.entries({
    cluster: text(req.cluster), type: types, since: text(req.since), after: text(req.afterId), pageSize: req.pageSize, pageToken: text(req.pageToken),
  }).filter(([, v]) => v !== undefined));
}
