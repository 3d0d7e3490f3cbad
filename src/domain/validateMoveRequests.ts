import type { FieldError } from './errors.ts';
import { escapePointer } from './jsonPointer.ts';
import type { ObservedNode } from './observedTopology.ts';
import { resolveNodeRef } from './resolveNodeRef.ts';

/**
 * Checks rebalance weights (node reference -> weight): each a finite number >= 0. Weight 0 is
 * allowed, it drains a master; whether any master is left with weight is checked by
 * `rebalanceTargets`, which knows the masters not listed here (they default to 1).
 *
 * @example
 *   validateWeights({ '10.0.0.1:7000': -1 })
 *   // [{ pointer: '/weights/10.0.0.1:7000', reason: 'must be a finite number >= 0, got -1' }]
 */
export function validateWeights(weights: Readonly<Record<string, unknown>>): FieldError[] {
  return Object.entries(weights).flatMap(([ref, weight]) =>
    typeof weight === 'number' && Number.isFinite(weight) && weight >= 0
      ? []
      : [{ pointer: `/weights/${escapePointer(ref)}`, reason: `must be a finite number >= 0, got ${show(weight)}` }],
  );
}

/**
 * Checks a rebalance threshold: a percent between 0 and 100 (0: balance exactly).
 *
 * @example
 *   validateThreshold(120) // [{ pointer: '/threshold', reason: 'must be a number between 0 and 100, got 120' }]
 */
export function validateThreshold(threshold: unknown): FieldError[] {
  return typeof threshold === 'number' && Number.isFinite(threshold) && threshold >= 0 && threshold <= 100
    ? []
    : [{ pointer: '/threshold', reason: `must be a number between 0 and 100, got ${show(threshold)}` }];
}

/** A node reference from a request and the JSON pointer it came from. */
export interface PointedRef {
  readonly pointer: string;
  readonly ref: string;
}

/**
 * Resolves node references that must name masters (reshard targets and sources, weight keys) to
 * node ids, in order, or reports each one that names no node, several nodes, or a replica.
 *
 * @example
 *   resolveMasterRefs([{ pointer: '/to', ref: '10.0.0.1:7003' }], nodes)
 *   // { ok: false, errors: [{ pointer: '/to', reason: '10.0.0.1:7003 is a replica (of 10.0.0.1:7000); only masters serve slots' }] }
 */
export function resolveMasterRefs(
  refs: readonly PointedRef[],
  nodes: readonly ObservedNode[],
): { ok: true; ids: string[] } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const ids: string[] = [];
  for (const { pointer, ref } of refs) {
    const resolved = resolveNodeRef(ref, nodes);
    if (!resolved.ok) {
      errors.push({ pointer, reason: resolved.reason });
    } else if (resolved.node.role !== 'master') {
      const master = nodes.find((n) => n.id === resolved.node.masterId);
      const of = master === undefined ? '' : ` (of ${master.address})`;
      errors.push({ pointer, reason: `${ref} is a replica${of}; only masters serve slots` });
    } else {
      ids.push(resolved.node.id);
    }
  }
  return errors.length === 0 ? { ok: true, ids } : { ok: false, errors };
}

function show(value: unknown): string {
  const text = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 32 ? `${text.slice(0, 29)}...` : text;
}
