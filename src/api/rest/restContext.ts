import type { Request, Response } from 'express';
import { DomainError } from '../../domain/errors.ts';
import type { Logger } from '../../logger.ts';
import type { Authenticator } from '../../service/auth.ts';
import type { Caller, ServiceDeps } from '../../service/deps.ts';
import { idempotently } from '../../service/idempotency.ts';
import type { Method, Route } from './routeTable.ts';

/** What every REST route may use. */
export interface RestContext {
  readonly deps: ServiceDeps;
  readonly auth: Authenticator;
  readonly log: Logger;
  /** Whether the service can serve requests (database reachable); backs /readyz. */
  readonly isReady: () => Promise<boolean>;
}

/** A route that needs a bearer token: the handler gets the caller. */
export function authenticated(ctx: RestContext, method: Method, path: string, handle: (req: Request, res: Response, caller: Caller) => Promise<void>): Route {
  return {
    method,
    path,
    handle: async (req, res) => handle(req, res, await ctx.auth.authenticate(req.get('authorization'))),
  };
}

/** Answers 202 (or `status`) with the operation and its `Location`. */
export function sendOperation(res: Response, op: { id: string }, status = 202): void {
  res.status(status).location(`/v1/operations/${op.id}`).json(op);
}

/** Runs a mutating call at most once per `Idempotency-Key` (see service/idempotency.ts). */
export function once<T>(ctx: RestContext, req: Request, caller: Caller, change: () => Promise<T>): Promise<T> {
  return idempotently(ctx.deps, caller, {
    key: req.get('idempotency-key'),
    fingerprint: { method: req.method, path: `${req.baseUrl}${req.path}`, query: req.query, body: req.body ?? null },
  }, change);
}

/**
 * A route that changes something: runs once per `Idempotency-Key` and answers 200 with a dry
 * run's plan, else 202 with the queued operation.
 */
export function changeRoute(
  ctx: RestContext,
  method: Method,
  path: string,
  change: (req: Request, caller: Caller) => Promise<{ dryRun: true } | { id: string }>,
): Route {
  return authenticated(ctx, method, path, async (req, res, caller) => {
    const result = await once(ctx, req, caller, () => change(req, caller));
    if ('dryRun' in result) res.status(200).json(result);
    else sendOperation(res, result);
  });
}

/** The JSON object body of a request, or a 415 (not sent as JSON) or 400 naming what is wrong with it. */
export function bodyOf(req: Request): unknown {
  if (!req.is('application/json') && !req.is('application/*+json')) {
    const sent = req.get('content-type');
    throw new DomainError('media_type', 'unsupported_media_type', `the request body must be JSON sent with Content-Type: application/json (${sent ? `got ${sent}` : 'none was sent'})`,
      [{ pointer: '', reason: 'must be sent as application/json' }]);
  }
  if (req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
    throw new DomainError('invalid', 'invalid_argument', 'the request body must be a JSON object', [{ pointer: '', reason: 'must be a JSON object' }]);
  }
  return req.body;
}
