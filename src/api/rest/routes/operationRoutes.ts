import { cancelOperation, getOperation, listOperationEvents, listOperations } from '../../../service/operations.ts';
import { streamEventLog } from '../../../service/eventLog.ts';
import { lastEventId, sendEventStream, wantsEventStream } from '../eventStream.ts';
import { sendView } from '../sendView.ts';
import { authenticated, once, sendOperation, type RestContext } from '../restContext.ts';
import type { Route } from '../routeTable.ts';

/** `/v1/operations` and everything under it. */
export function operationRoutes(ctx: RestContext): Route[] {
  const { deps } = ctx;
  return [
    authenticated(ctx, 'GET', '/v1/operations', async (req, res, caller) => {
      res.json(await listOperations(deps, caller, req.query));
    }),
    authenticated(ctx, 'GET', '/v1/operations/{id}', async (req, res, caller) => {
      // A long poll (`waitSeconds`) ends early when the client goes away.
      const gone = new AbortController();
      res.on('close', () => gone.abort());
      sendView(res, await getOperation(deps, caller, req.params.id, req.query, gone.signal));
    }),
    authenticated(ctx, 'POST', '/v1/operations/{id}/cancel', async (req, res, caller) => {
      const op = await once(ctx, req, caller, () => cancelOperation(deps, caller, req.params.id));
      sendOperation(res, op, op.status === 'cancelling' ? 202 : 200);
    }),
    authenticated(ctx, 'GET', '/v1/operations/{id}/events', async (req, res, caller) => {
      if (!wantsEventStream(req)) {
        res.json(await listOperationEvents(deps, caller, req.params.id, req.query));
        return;
      }
      // The whole timeline (or what follows Last-Event-ID), then live until the operation ends.
      const op = await getOperation(deps, caller, req.params.id);
      const resume = lastEventId(req);
      const query = { filter: { operationId: op.id, ...(resume ? { afterId: resume } : {}) }, pageSize: 200, pageToken: null, fromStart: true };
      await sendEventStream(req, res, (signal) => streamEventLog(deps, caller, query, signal));
    }),
  ];
}
