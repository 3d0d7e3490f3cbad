import { CLUSTER_EVENT_TYPES } from './clusterEvents.ts';

/** What an operation's timeline records (see the worker's step loop and runOperation). */
export const OPERATION_EVENT_TYPES = [
  'operation_queued', 'operation_started', 'operation_resumed', 'operation_succeeded', 'operation_failed', 'operation_cancelled',
  'step_started', 'step_succeeded', 'step_failed', 'step_cancelled',
] as const;

/** Sent to one webhook by `POST /v1/webhooks/{id}/test` only. */
export const WEBHOOK_TEST_EVENT = 'webhook_test';

/** What the service says about clusters it takes under or out of management, and repairs it could not start. */
export const SERVICE_EVENT_TYPES = ['cluster_adopted', 'cluster_released', 'healing_refused'] as const;

/** Every event type a feed or a webhook can carry: operation timelines, the observer's findings, the test event. */
export const EVENT_TYPES: readonly string[] = [...OPERATION_EVENT_TYPES, ...CLUSTER_EVENT_TYPES, ...SERVICE_EVENT_TYPES, WEBHOOK_TEST_EVENT];
