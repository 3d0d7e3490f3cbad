import type { Redis } from 'ioredis';
import type { NodeProblem } from '../domain/operation.ts';
import type { WaitTopologyParams } from '../domain/stepParams.ts';
import { myNodeId } from '../redis/myNodeId.ts';
import { checkReadiness } from '../redis/readiness.ts';
import { readClusterView } from '../redis/readClusterView.ts';
import { sleep } from '../redis/sleep.ts';
import type { ExecutorsOf, StepContext, StepExecutor } from './stepContext.ts';
import { StepFailure } from './stepFailure.ts';

/** Pause between two looks; one look is one CLUSTER NODES per node plus, with `ready`, the readiness round. */
const POLL_MS = 50;

/**
 * Waits until every listed node reports the expected roles and none knows the removed nodes (and,
 * with `ready`, design.md's readiness holds over the listed nodes), or fails after the timeout
 * naming each node that still disagrees and why.
 */
const waitTopology: StepExecutor<'wait_topology'> = async (ctx) => {
  const { params } = ctx.step;
  const deadline = Date.now() + params.timeoutSeconds * 1000;
  const started = Date.now();
  for (;;) {
    const problems = await lookOnce(ctx, params);
    if (problems.length === 0) {
      return { detail: `${params.nodes.length} nodes agree${params.ready ? ' and are ready' : ''} after ${((Date.now() - started) / 1000).toFixed(2)} s` };
    }
    if (Date.now() >= deadline) {
      const shown = problems.slice(0, 20);
      throw new StepFailure('not_converged', `after ${params.timeoutSeconds} s the nodes do not agree yet: ${shown.map((p) => `${p.address} (${p.reason})`).join(', ')}${problems.length > shown.length ? ', ...' : ''}`,
        merge(problems));
    }
    await sleep(POLL_MS, ctx.signal);
  }
};

async function lookOnce(ctx: StepContext, params: WaitTopologyParams): Promise<NodeProblem[]> {
  const problems: NodeProblem[] = [];
  const clients = new Map<string, Redis>();
  await Promise.all(params.nodes.map(async (address) => {
    try {
      clients.set(address, await ctx.connections.get(address));
    } catch (err) {
      problems.push({ address, reason: `unreachable: ${(err as Error).message}` });
    }
  }));
  const named = [...new Set(params.expect.flatMap((e) => [e.address, ...(e.master ? [e.master] : [])]))];
  const idOf = new Map<string, string>();
  await Promise.all(named.map(async (address) => {
    const client = clients.get(address);
    if (client) idOf.set(address, await myNodeId(client).catch(() => ''));
  }));
  const addressOf = new Map([...idOf].map(([a, id]) => [id, a]));
  const say = (id: string | null) => (id === null ? 'none' : (addressOf.get(id) ?? id));

  await Promise.all([...clients].map(async ([address, client]) => {
    let nodes;
    try {
      ({ nodes } = await readClusterView(client));
    } catch (err) {
      problems.push({ address, reason: `unreachable: ${(err as Error).message}` });
      return;
    }
    for (const e of params.expect) {
      const id = idOf.get(e.address);
      const seen = nodes.find((n) => n.id === id);
      if (id === undefined || seen === undefined) {
        problems.push({ address, reason: `does not know ${e.address}` });
      } else if (seen.role !== e.role || (e.role === 'replica' && seen.masterId !== idOf.get(e.master ?? ''))) {
        const now = seen.role === 'master' ? 'a master' : `a replica of ${say(seen.masterId)}`;
        const wanted = e.role === 'master' ? 'a master' : `a replica of ${e.master}`;
        problems.push({ address, reason: `sees ${e.address} as ${now}, expected ${wanted}` });
      }
    }
    for (const gone of params.absent) {
      if (nodes.some((n) => n.id === gone.id)) problems.push({ address, reason: `still knows ${gone.address}` });
    }
  }));
  await Promise.all((params.inSync ?? []).map(async (address) => {
    const client = clients.get(address);
    if (!client) return;
    const link = /master_link_status:(\w+)/.exec(await client.info('replication'))?.[1] ?? 'none';
    if (link !== 'up') problems.push({ address, reason: `its replication link is ${link}` });
  }));
  if (params.ready && problems.length === 0) problems.push(...(await checkReadiness(clients)).problems);
  return problems;
}

function merge(problems: readonly NodeProblem[]): NodeProblem[] {
  const byAddress = new Map<string, string[]>();
  for (const p of problems) byAddress.set(p.address, [...(byAddress.get(p.address) ?? []), p.reason]);
  return [...byAddress].map(([address, reasons]) => ({ address, reason: reasons.join('; ') }));
}

/** The executor of the closing step of every topology change. */
export const waitTopologyExecutors: ExecutorsOf<'wait_topology'> = {
  wait_topology: waitTopology,
};
