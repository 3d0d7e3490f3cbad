import type express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { problem, type ProblemBody } from './problem.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One REST route as data: the method, the path in OpenAPI's template syntax (`/v1/clusters/{name}`,
 * the same text as in `openapi.yaml`), and the handler. Errors the handler throws go to the app's
 * error handler.
 */
export interface Route {
  readonly method: Method;
  readonly path: string;
  readonly handle: (req: Request, res: Response) => Promise<void>;
}

/** Express's form of an OpenAPI path template: `{name}` becomes `:name`. */
function expressPath(template: string): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

/** A matcher of request paths for an OpenAPI path template (one segment per parameter, an optional trailing slash). */
function pathPattern(template: string): RegExp {
  const source = template.split(/\{[A-Za-z0-9_]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/]+');
  return new RegExp(`^${source}/?$`);
}

/**
 * Mounts the routes on `app`, then the answer for everything else, from the same table: a path
 * that is in the table with a method that is not gets 405 with an `Allow` header listing the
 * path's methods (RFC 9110 section 15.5.6), any other path 404. Express answers HEAD for a GET
 * route, so `Allow` lists HEAD beside GET.
 *
 * @example mountRoutes(app, [{ method: 'GET', path: '/v1/clusters/{name}', handle }], sendProblem)
 */
export function mountRoutes(app: express.Express, routes: readonly Route[], sendProblem: (res: Response, body: ProblemBody) => void): void {
  for (const route of routes) {
    const handler = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        await route.handle(req, res);
      } catch (err) {
        next(err);
      }
    };
    const path = expressPath(route.path);
    if (route.method === 'GET') app.get(path, handler);
    else if (route.method === 'POST') app.post(path, handler);
    else if (route.method === 'PUT') app.put(path, handler);
    else if (route.method === 'PATCH') app.patch(path, handler);
    else app.delete(path, handler);
  }
  const byPath = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const route of routes) {
    const entry = byPath.get(route.path) ?? { pattern: pathPattern(route.path), methods: new Set<string>() };
    entry.methods.add(route.method);
    if (route.method === 'GET') entry.methods.add('HEAD');
    byPath.set(route.path, entry);
  }
  app.use((req, res) => {
    const allowed = new Set<string>();
    for (const { pattern, methods } of byPath.values()) if (pattern.test(req.path)) for (const m of methods) allowed.add(m);
    if (allowed.size === 0) {
      sendProblem(res, problem(404, 'not_found', `no route for ${req.method} ${req.path}`));
      return;
    }
    res.set('Allow', [...allowed].join(', '));
    sendProblem(res, problem(405, 'method_not_allowed', `${req.method} is not supported on ${req.path}; allowed: ${[...allowed].join(', ')}`));
  });
}
