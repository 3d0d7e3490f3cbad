import { Webhook } from 'standardwebhooks';
import type { ClaimedDelivery } from '../store/webhooks.ts';

/** One HTTP request to a webhook: a JSON body and its Standard Webhooks headers. */
export interface WebhookMessage {
  readonly body: string;
  readonly headers: Record<string, string>;
}

/**
 * The request that delivers `event`, per the Standard Webhooks spec (standardwebhooks.com):
 * `webhook-id` is `evt_<event id>`, the same on every retry so receivers can drop duplicates;
 * `webhook-timestamp` the attempt's time in Unix seconds; `webhook-signature` `v1,<base64
 * HMAC-SHA256 of "id.timestamp.body">` under the secret, computed by the `standardwebhooks`
 * library. The body is `{"type", "timestamp", "data"}` with the event as `data`, shaped as
 * the API's `Event`.
 */
export function webhookMessage(secret: string, event: ClaimedDelivery['event'], at: Date): WebhookMessage {
  const id = `evt_${event.id}`;
  // `data` has the shape of the API's Event (GET /v1/events), so one parser reads both.
  const data = {
    id: event.id, at: event.at.toISOString(), type: event.type, message: event.message, cluster: event.clusterName,
    operationId: event.operationId, nodes: event.nodes ?? [], data: event.data ?? null,
  };
  const body = JSON.stringify({ type: event.type, timestamp: data.at, data });
  const signature = new Webhook(secret).sign(id, at, body);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'slotsmith-webhooks',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    },
  };
}
