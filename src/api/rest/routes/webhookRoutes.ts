import { refuseIdempotencyKey } from '../../../service/idempotency.ts';
import { createWebhook, deleteWebhook, getWebhook, listWebhookDeliveries, listWebhooks, testWebhook } from '../../../service/webhooks.ts';
import { authenticated, bodyOf, type RestContext } from '../restContext.ts';
import type { Route } from '../routeTable.ts';

/** `/v1/webhooks` and everything under it. */
export function webhookRoutes(ctx: RestContext): Route[] {
  const { deps } = ctx;
  return [
    authenticated(ctx, 'POST', '/v1/webhooks', async (req, res, caller) => {
      // The secret is shown once; a replayed answer would show it again, so keys are refused.
      refuseIdempotencyKey(req.get('idempotency-key'));
      const created = await createWebhook(deps, caller, bodyOf(req));
      res.status(201).location(`/v1/webhooks/${created.id}`).json(created);
    }),
    authenticated(ctx, 'GET', '/v1/webhooks', async (req, res, caller) => {
      res.json(await listWebhooks(deps, caller, req.query));
    }),
    authenticated(ctx, 'GET', '/v1/webhooks/{id}', async (req, res, caller) => {
      res.json(await getWebhook(deps, caller, req.params.id));
    }),
    authenticated(ctx, 'DELETE', '/v1/webhooks/{id}', async (req, res, caller) => {
      await deleteWebhook(deps, caller, req.params.id);
      res.status(204).end();
    }),
    authenticated(ctx, 'GET', '/v1/webhooks/{id}/deliveries', async (req, res, caller) => {
      res.json(await listWebhookDeliveries(deps, caller, req.params.id, req.query));
    }),
    authenticated(ctx, 'POST', '/v1/webhooks/{id}/test', async (req, res, caller) => {
      res.status(202).json(await testWebhook(deps, caller, req.params.id));
    }),
  ];
}
