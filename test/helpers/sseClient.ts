import { eventually } from './eventually.ts';

/** One Server-Sent Event as a browser's EventSource would hand it over. */
export interface SseMessage {
  readonly id: string;
  readonly event: string;
  readonly data: any;
}

/** A live `text/event-stream` response being read. */
export interface SseStream {
  /** Every event received so far, in order (heartbeat comments are not events). */
  readonly messages: SseMessage[];
  /** Resolves once `count` events were received. */
  waitFor(count: number, timeoutMs?: number): Promise<SseMessage[]>;
  /** Resolves when the server ended the stream. */
  readonly ended: Promise<void>;
  /** Disconnects, as a client that goes away. */
  close(): void;
}

/**
 * Opens a stream with a real HTTP request (fetch), sending `Last-Event-ID` when given, and parses
 * it per the WHATWG SSE rules that matter here (id, event, multi-line data, comments).
 */
export async function openEventStream(url: string, authorization: string, lastEventId?: string): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', authorization, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: abort.signal,
  });
  if (response.status !== 200 || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
    throw new Error(`expected an event stream, got ${response.status} ${response.headers.get('content-type')}: ${await response.text()}`);
  }
  const messages: SseMessage[] = [];
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    let id = '';
    let event = '';
    let data: string[] = [];
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.search(/\r?\n/)) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + (buffer[newline] === '\r' ? 2 : 1));
          if (line === '') {
            if (data.length > 0) messages.push({ id, event: event || 'message', data: JSON.parse(data.join('\n')) });
            event = '';
            data = [];
          } else if (!line.startsWith(':')) {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') id = value;
            else if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
          }
        }
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
  })();
  return {
    messages,
    ended,
    waitFor: (count, timeoutMs = 30_000) => eventually(async () => (messages.length >= count ? messages.slice() : undefined), timeoutMs, 50),
    close: () => abort.abort(),
  };
}
