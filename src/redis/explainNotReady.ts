import type { NodeProblem } from '../domain/operation.ts';
import { diagnoseNode } from './diagnoseNode.ts';
import type { NodeConnections } from './nodeConnections.ts';

/**
 * The nodes that are not ready, each once with its first reason: a diagnosis asked of the node
 * itself when one is found (loading, replication down and why, see `diagnoseNode`), else the
 * first problem the readiness check saw. For the message of a wait that gave up.
 *
 * @example await explainNotReady(ctx.connections, result.problems) // [{ address: '10.0.0.4:7000', reason: 'replication from ... is down: masterauth is not set ...' }]
 */
export async function explainNotReady(connections: NodeConnections, problems: readonly NodeProblem[]): Promise<NodeProblem[]> {
  const first = new Map<string, string>();
  for (const p of problems) if (!first.has(p.address)) first.set(p.address, p.reason);
  return Promise.all([...first].map(async ([address, reason]) => {
    const diagnosis = await connections.get(address).then(diagnoseNode, () => null).catch(() => null);
    return { address, reason: diagnosis ?? reason };
  }));
}

/** `address (reason), ...` for a message. */
export function listProblems(problems: readonly NodeProblem[], max = 20): string {
  const shown = problems.slice(0, max).map((p) => `${p.address} (${p.reason})`).join(', ');
  return problems.length > max ? `${shown}, ...` : shown;
}
