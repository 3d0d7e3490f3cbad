import express, { type NextFunction, type Request, type Response } from 'express';
import { DomainError } from '../../domain/errors.ts';
import type { Logger } from '../../logger.ts';
import type { Authenticator } from '../../service/auth.ts';
import { checkCluster } from '../../service/checkCluster.ts';
import { createCluster, getCluster, listClusters } from '../../service/clusters.ts';
import type { Caller, ServiceDeps } from '../../service/deps.ts';
import { idempotently, refuseIdempotencyKey } from '../../service/idempotency.ts';
import { createToken, listTokens, revokeToken } from '../../service/tokens.ts';
import { failover } from '../../service/failover.ts';
import { fixCluster } from '../../service/fixCluster.ts';
import { rebalance, reshard } from '../../service/moveSlots.ts';
import { addNode, removeNode } from '../../service/nodes.ts';
import { moveReplica } from '../../service/replicas.ts';
import { cancelOperation, getOperation, listOperationEvents, listOperations } from '../../service/operations.ts';
import { problem, problemFromError } from './problem.ts';

export interface RestOptions {
  readonly deps: ServiceDeps;
  readonly auth: Authenticator;
  readonly log: Logger;
  /** Whether the service can serve requests (database reachable); backs /readyz. */
  readonly isReady: () => Promise<boolean>;
}

type Handler = (req: Request, res: Response, caller: Caller) => Promise<void>;

/** The REST API as an Express app; transport only: every rule lives in the service layer. */
export function buildRestApp({ deps, auth, log, isReady }: RestOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(express.json({ limit: '1mb', type: ['application/json', 'application/*+json'] }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await isReady().catch(() => false);
    if (ready) res.json({ status: 'ready' });
    else sendProblem(res, problem(503, 'not_ready', 'the database is not reachable'));
  });

  const v1 = express.Router();
  const route = (handler: Handler) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const caller = await auth.authenticate(req.get('authorization'));
      await handler(req, res, caller);
    } catch (err) {
      next(err);
    }
  };
  const sendOperation = (res: Response, status: number, op: { id: string }) => {
    res.status(status).location(`/v1/operations/${op.id}`).json(op);
  };

  // A dry run answers 200 with the plan; otherwise 202 with the queued operation.
  const sendChange = (res: Response, result: { dryRun?: boolean; id?: string }) => {
    if ('dryRun' in result && result.dryRun) res.status(200).json(result);
    else sendOperation(res, 202, result as { id: string });
  };
  /** Runs a mutating call at most once per `Idempotency-Key` (see service/idempotency.ts). */
  const once = <T>(req: Request, caller: Caller, change: () => Promise<T>): Promise<T> =>
    idempotently(deps, caller, {
      key: req.get('idempotency-key'),
      fingerprint: { method: req.method, path: `${req.baseUrl}${req.path}`, query: req.query, body: req.body ?? null },
    }, change);
  /** A route that changes something: answered 200 with a dry run's plan, else 202 with the operation. */
  const changeRoute = (change: (req: Request, caller: Caller) => Promise<{ dryRun?: boolean; id?: string }>) =>
    route(async (req, res, caller) => sendChange(res, await once(req, caller, () => change(req, caller))));
  v1.post('/clusters', changeRoute((req, caller) => createCluster(deps, caller, bodyOf(req))));
  v1.get('/clusters', route(async (req, res, caller) => {
    res.json(await listClusters(deps, caller, req.query));
  }));
  v1.get('/clusters/:name', route(async (req, res, caller) => {
    res.json(await getCluster(deps, caller, req.params.name));
  }));
  v1.post('/clusters/:name/reshard', changeRoute((req, caller) => reshard(deps, caller, req.params.name, bodyOf(req))));
  v1.post('/clusters/:name/rebalance', changeRoute((req, caller) => rebalance(deps, caller, req.params.name, bodyOf(req))));
  v1.post('/clusters/:name/nodes', changeRoute((req, caller) => addNode(deps, caller, req.params.name, bodyOf(req))));
  // The node is an id or a url-encoded host:port; a dry run is `?dryRun=true`.
  v1.delete('/clusters/:name/nodes/:node', changeRoute((req, caller) => removeNode(deps, caller, req.params.name, req.params.node, req.query)));
  v1.post('/clusters/:name/replicas', changeRoute((req, caller) => moveReplica(deps, caller, req.params.name, bodyOf(req))));
  v1.post('/clusters/:name/failover', changeRoute((req, caller) => failover(deps, caller, req.params.name, bodyOf(req))));
  v1.post('/clusters/:name/fix', changeRoute((req, caller) => fixCluster(deps, caller, req.params.name, bodyOf(req))));
  v1.get('/clusters/:name/check', route(async (req, res, caller) => {
    res.json(await checkCluster(deps, caller, req.params.name));
  }));
  v1.get('/operations', route(async (req, res, caller) => {
    res.json(await listOperations(deps, caller, req.query));
  }));
  v1.get('/operations/:id', route(async (req, res, caller) => {
    // A long poll (`waitSeconds`) ends early when the client goes away.
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    res.json(await getOperation(deps, caller, req.params.id, req.query, gone.signal));
  }));
  v1.post('/operations/:id/cancel', route(async (req, res, caller) => {
    const op = await once(req, caller, () => cancelOperation(deps, caller, req.params.id));
    sendOperation(res, op.status === 'cancelling' ? 202 : 200, op);
  }));
  v1.get('/operations/:id/events', route(async (req, res, caller) => {
    res.json(await listOperationEvents(deps, caller, req.params.id, req.query));
  }));
  v1.post('/tokens', route(async (req, res, caller) => {
    refuseIdempotencyKey(req.get('idempotency-key'));
    const created = await createToken(deps, caller, bodyOf(req));
    res.status(201).location(`/v1/tokens/${created.id}`).json(created);
  }));
  v1.get('/tokens', route(async (req, res, caller) => {
    res.json(await listTokens(deps, caller, req.query));
  }));
  v1.delete('/tokens/:id', route(async (req, res, caller) => {
    await revokeToken(deps, caller, req.params.id);
    res.status(204).end();
  }));
  app.use('/v1', v1);

  app.use((req, res) => {
    const known = KNOWN_PATHS.some((p) => p.test(req.path));
    if (known) sendProblem(res, problem(405, 'method_not_allowed', `${req.method} is not supported on ${req.path}`));
    else sendProblem(res, problem(404, 'not_found', `no route for ${req.method} ${req.path}`));
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const body = problemFromError(err);
    if (body.status >= 500) log.error('request failed', { method: req.method, path: req.path, error: String(err) });
    sendProblem(res, body);
  });
  return app;
}

const KNOWN_PATHS = [/^\/v1\/clusters\/?$/, /^\/v1\/clusters\/[^/]+(\/check|\/fix|\/reshard|\/rebalance|\/nodes|\/nodes\/[^/]+|\/replicas|\/failover)?\/?$/, /^\/v1\/operations\/?$/, /^\/v1\/operations\/[^/]+(\/events|\/cancel)?\/?$/, /^\/v1\/tokens(\/[^/]+)?\/?$/];

function bodyOf(req: Request): unknown {
  if (!req.is('application/json') && !req.is('application/*+json')) {
    throw new DomainError('invalid', 'unsupported_media_type', 'the request body must be JSON (Content-Type: application/json)', [{ pointer: '', reason: 'must be a JSON object' }]);
  }
  if (req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
    throw new DomainError('invalid', 'invalid_argument', 'the request body must be a JSON object', [{ pointer: '', reason: 'must be a JSON object' }]);
  }
  return req.body;
}

function sendProblem(res: Response, body: ReturnType<typeof problem>): void {
  if (body.status === 401) res.set('WWW-Authenticate', 'Bearer realm="slotsmith"');
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}
