import { listEventLog, parseEventQuery, streamEventLog } from '../../../service/eventLog.ts';
import { lastEventId, sendEventStream, wantsEventStream } from '../eventStream.ts';
import { authenticated, type RestContext } from '../restContext.ts';
import type { Route } from '../routeTable.ts';

/** `/v1/events`: the event log, as JSON pages or, with `Accept: text/event-stream`, as Server-Sent Events. */
export function eventRoutes(ctx: RestContext): Route[] {
  const { deps } = ctx;
  return [
    authenticated(ctx, 'GET', '/v1/events', async (req, res, caller) => {
      if (!wantsEventStream(req)) {
        res.json(await listEventLog(deps, caller, req.query));
        return;
      }
      const resume = lastEventId(req);
      const query = parseEventQuery({ ...req.query, ...(resume ? { after: resume } : {}) });
      await sendEventStream(req, res, (signal) => streamEventLog(deps, caller, query, signal));
    }),
  ];
}
