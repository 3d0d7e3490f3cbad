import type { ChainableCommander } from 'ioredis';

/** One reply of a pipeline: the error Redis (or the client) gave, or the value. */
export type PipelineReply = readonly [error: Error | null, value: unknown];

/**
 * Runs `pipeline` and returns one `[error, value]` per queued command, in order, without throwing
 * on per-command errors (callers decide which errors are expected, e.g. ASK or BUSYKEY).
 *
 * @example const replies = await settlePipeline(client.pipeline().get('a').get('b'));
 */
export async function settlePipeline(pipeline: ChainableCommander): Promise<PipelineReply[]> {
  if (pipeline.length === 0) return [];
  return (await pipeline.exec()) ?? [];
}
