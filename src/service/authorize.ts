import { DomainError } from '../domain/errors.ts';
import type { Caller } from './deps.ts';

const RANK = { viewer: 0, operator: 1, admin: 2 } as const;

/** Throws `forbidden` unless the caller's role is at least `needed`. */
export function requireRole(caller: Caller, needed: Caller['role']): void {
  if (RANK[caller.role] < RANK[needed]) {
    throw new DomainError('forbidden', 'permission_denied', `this call needs the ${needed} role; token "${caller.name}" has ${caller.role}`);
  }
}
