import { CLUSTER_EVENT_TYPES } from './clusterEvents.ts';

/** What an operation's timeline records (see the worker's step loop and runOperation). */
export const OPERATION_EVENT_TYPES = [
  'operation_queued', 'operation_started', 'operation_resumed', 'operation_succeeded', 'operation_failed', 'operation_cancelled',
  'step_started', 'step_succeeded', 'step_failed', 'step_cancelled',
  // The atomic engine's jobs (one per source and target): asked for, and how each ended.
  'migration_job_started', 'migration_job_succeeded', 'migration_job_failed', 'migration_job_cancelled',
] as const;

/** An event type of an operation's timeline. */
export type OperationEventType = (typeof OPERATION_EVENT_TYPES)[number];

/** Sent to one webhook by `POST /v1/webhooks/{id}/test` only. */
export const WEBHOOK_TEST_EVENT = 'webhook_test';

/** What the service says about clusters it takes under or out of management, and repairs it could not start. */
export const SERVICE_EVENT_TYPES = ['cluster_adopted', 'cluster_released', 'healing_refused'] as const;

/** Every event type a feed or a webhook can carry: operation timelines, the observer's findings, the test event. */
export const EVENT_TYPES: readonly string[] = [...OPERATION_EVENT_TYPES, ...CLUSTER_EVENT_TYPES, ...SERVICE_EVENT_TYPES, WEBHOOK_TEST_EVENT];
