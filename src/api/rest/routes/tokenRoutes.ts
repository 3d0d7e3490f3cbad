import { refuseIdempotencyKey } from '../../../service/idempotency.ts';
import { createToken, listTokens, revokeToken } from '../../../service/tokens.ts';
import { authenticated, bodyOf, type RestContext } from '../restContext.ts';
import type { Route } from '../routeTable.ts';

/** `/v1/tokens` and everything under it (admin only). */
export function tokenRoutes(ctx: RestContext): Route[] {
  const { deps } = ctx;
  return [
    authenticated(ctx, 'POST', '/v1/tokens', async (req, res, caller) => {
      refuseIdempotencyKey(req.get('idempotency-key'));
      const created = await createToken(deps, caller, bodyOf(req));
      res.status(201).location(`/v1/tokens/${created.id}`).json(created);
    }),
    authenticated(ctx, 'GET', '/v1/tokens', async (req, res, caller) => {
      res.json(await listTokens(deps, caller, req.query));
    }),
    authenticated(ctx, 'DELETE', '/v1/tokens/{id}', async (req, res, caller) => {
      await revokeToken(deps, caller, req.params.id);
      res.status(204).end();
    }),
  ];
}
