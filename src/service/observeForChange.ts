import { DomainError } from '../domain/errors.ts';
import type { ClusterRecord } from '../store/records.ts';
import type { Observation, ServiceDeps } from './deps.ts';
import { requireReadyPhase } from './settlePhase.ts';

/**
 * Reads a cluster from its nodes before planning a change, and refuses (409) one that is not in a
 * state to change: not ready, slots open (fix first), or nodes unreachable unless
 * `tolerateUnreachable` (the caller then decides which unreachable nodes it can live with).
 * `look`: the look at the spec's nodes, already started by the caller (see `startEarlyLook`).
 */
export async function observeForChange(deps: ServiceDeps, cluster: ClusterRecord, opts: ObserveForChangeOptions = {}): Promise<Observation> {
  await requireReadyPhase(deps, cluster);
  const observation = await (opts.look ?? deps.observe(cluster.spec.nodes, cluster.auth));
  if (observation.unreachable.length > 0 && !opts.tolerateUnreachable) throw unreachableError(observation.unreachable);
  const open = observation.nodes.flatMap((n) => [...n.migrating, ...n.importing].map((o) => `${o.slot} on ${n.address}`));
  if (open.length > 0) {
    throw new DomainError('precondition', 'open_slots', `slots are open (${open.slice(0, 10).join(', ')}${open.length > 10 ? ', ...' : ''}); run POST /v1/clusters/${cluster.name}/fix first (with {"replace": true} if a move stopped on keys that both sides hold)`);
  }
  return observation;
}

export interface ObserveForChangeOptions {
  readonly tolerateUnreachable?: boolean;
  readonly look?: Promise<Observation>;
}

/** The 409 for nodes that must answer and did not, naming each with its reason. */
export function unreachableError(unreachable: readonly { address: string; reason: string }[], action = 'plan'): DomainError {
  return new DomainError('precondition', 'nodes_unreachable', `cannot ${action} while nodes are unreachable: ${unreachable.map((u) => `${u.address} (${u.reason})`).join(', ')}`);
}
