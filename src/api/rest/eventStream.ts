import { createSession } from 'better-sse';
import type { Request, Response } from 'express';
import type { EventView } from '../../contract/operationView.ts';

/** Sends heartbeats this often, so proxies keep an idle stream open and clients see it is alive. */
const HEARTBEAT_MS = 15_000;

/** Whether the client asked for Server-Sent Events instead of a JSON page. */
export function wantsEventStream(req: Request): boolean {
  return (req.get('accept') ?? '').includes('text/event-stream');
}

/** The event id a reconnecting client last saw (`Last-Event-ID`), if any. */
export function lastEventId(req: Request): string | undefined {
  const id = req.get('last-event-id');
  return id !== undefined && /^\d{1,19}$/.test(id) ? id : undefined;
}

/**
 * Streams events as Server-Sent Events (better-sse): each as one SSE event whose `event` is its
 * type, `id` its id (so a reconnecting client resumes with `Last-Event-ID`) and `data` its JSON,
 * with heartbeats, until the stream ends or the client goes away.
 */
export async function sendEventStream(req: Request, res: Response, stream: (signal: AbortSignal) => AsyncGenerator<EventView>): Promise<void> {
  const session = await createSession(req, res, { keepAlive: HEARTBEAT_MS, retry: 2_000 });
  const gone = new AbortController();
  session.once('disconnected', () => gone.abort());
  try {
    for await (const event of stream(gone.signal)) {
      if (!session.isConnected) break;
      session.push(event, event.type, event.id);
    }
  } finally {
    if (session.isConnected) res.end();
  }
}
