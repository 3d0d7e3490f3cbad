import { DomainError } from '../domain/errors.ts';
import { failover } from '../redis/failover.ts';
import { readClusterView } from '../redis/readClusterView.ts';
import type { ExecutorsOf, StepExecutor } from './stepContext.ts';
import { StepFailure } from './stepFailure.ts';

/**
 * Sends `CLUSTER FAILOVER [FORCE|TAKEOVER]` to the replica, after checking it is still the node
 * and still replicates the master the plan was made for. A replica that is a master already (a
 * resumed run) is left alone; `wait_topology` then verifies the roles on every node.
 */
const failoverStep: StepExecutor<'failover'> = async (ctx) => {
  const { replica, master, mode } = ctx.step.params;
  const client = await ctx.connections.get(replica.address);
  const { myself, nodes } = await readClusterView(client);
  if (myself.id !== replica.id) {
    throw new StepFailure('topology_changed', `${replica.address} is no longer node ${replica.id}; nothing was changed`, [{ address: replica.address, reason: `now node ${myself.id}` }]);
  }
  if (myself.role === 'master') return { detail: `${replica.address} is a master already` };
  if (myself.masterId !== master.id) {
    const now = nodes.find((n) => n.id === myself.masterId)?.address ?? myself.masterId;
    throw new StepFailure('topology_changed', `${replica.address} now replicates ${now}, not ${master.address}; nothing was changed`,
      [{ address: replica.address, reason: `replicates ${now}` }]);
  }
  try {
    await failover(client, mode);
  } catch (err) {
    if (err instanceof DomainError) throw new StepFailure('failover_refused', err.message, [{ address: replica.address, reason: err.message }], { cause: err });
    throw err;
  }
  return { detail: `failover scheduled on ${replica.address}` };
};

/** The executor of the failover step. */
export const failoverExecutors: ExecutorsOf<'failover'> = {
  failover: failoverStep,
};
