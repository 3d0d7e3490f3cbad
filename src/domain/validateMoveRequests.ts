import type { FieldError } from './errors.ts';
import { escapePointer } from './jsonPointer.ts';

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

function show(value: unknown): string {
  const text = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 32 ? `${text.slice(0, 29)}...` : text;
}
