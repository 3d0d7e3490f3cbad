/** A webhook as callers see it: never its signing secret (shown once, at creation). */
export interface WebhookView {
  id: string;
  url: string;
  /** Event types it receives, or ["*"]. */
  events: string[];
  /** Clusters it receives events of; null: every cluster (and events of none, such as webhook_test). */
  clusters: string[] | null;
  createdBy: string | null;
  createdAt: string;
}

/** A new webhook with its Standard Webhooks signing secret (`whsec_...`), shown only in this answer. */
export type CreatedWebhookView = WebhookView & { secret: string };

/** One event's delivery to one webhook and its last attempt. */
export interface DeliveryView {
  id: string;
  eventId: string;
  /** pending (not yet delivered; retried), delivered, or failed (given up). */
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** When it is (or was last) due. */
  nextAttemptAt: string;
  lastAttemptAt: string | null;
  /** The receiver's HTTP status at the last attempt, if it answered. */
  lastStatus: number | null;
  /** The first 1,000 characters of the receiver's answer at the last attempt. */
  lastResponse: string | null;
  /** Why the last attempt failed. */
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
}
