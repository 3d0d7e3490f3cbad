import express, { type NextFunction, type Request, type Response } from 'express';
import { problemFromError } from './problem.ts';
import type { RestContext } from './restContext.ts';
import { mountRoutes, type Route } from './routeTable.ts';
import { clusterRoutes } from './routes/clusterRoutes.ts';
import { eventRoutes } from './routes/eventRoutes.ts';
import { healthRoutes } from './routes/healthRoutes.ts';
import { operationRoutes } from './routes/operationRoutes.ts';
import { tokenRoutes } from './routes/tokenRoutes.ts';
import { webhookRoutes } from './routes/webhookRoutes.ts';
import { sendProblem } from './sendProblem.ts';

export type RestOptions = RestContext;

/** Every route of the REST API, one table per resource (the paths and methods of `openapi.yaml`). */
export function restRoutes(ctx: RestContext): Route[] {
  return [...healthRoutes(ctx), ...clusterRoutes(ctx), ...operationRoutes(ctx), ...eventRoutes(ctx), ...tokenRoutes(ctx), ...webhookRoutes(ctx)];
}

/** The REST API as an Express app; transport only: every rule lives in the service layer. */
export function buildRestApp(ctx: RestOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(express.json({ limit: '1mb', type: ['application/json', 'application/*+json'] }));
  mountRoutes(app, restRoutes(ctx), sendProblem);
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const body = problemFromError(err);
    if (body.status >= 500) ctx.log.error('request failed', { method: req.method, path: req.path, error: String(err) });
    sendProblem(res, body);
  });
  return app;
}
