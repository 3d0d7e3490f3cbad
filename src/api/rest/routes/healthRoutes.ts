import type { RestContext } from '../restContext.ts';
import type { Route } from '../routeTable.ts';
import { problem } from '../problem.ts';
import { sendProblem } from '../sendProblem.ts';

/** `/healthz` (the process answers) and `/readyz` (it can serve: the database answers); no token needed. */
export function healthRoutes(ctx: RestContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      handle: async (_req, res) => {
        res.json({ status: 'ok' });
      },
    },
    {
      method: 'GET',
      path: '/readyz',
      handle: async (_req, res) => {
        if (await ctx.isReady().catch(() => false)) res.json({ status: 'ready' });
        else sendProblem(res, problem(503, 'not_ready', 'the database is not reachable'));
      },
    },
  ];
}
