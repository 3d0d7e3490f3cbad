import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { eventually } from './eventually.ts';

/** One request a receiver got. */
export interface ReceivedRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body's JSON. */
  readonly json: any;
}

/** A real local HTTP server standing in for a chat bot or an automation endpoint. */
export interface WebhookReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Decides the status of each request, in arrival order (default: 200). */
  respondWith(status: (request: ReceivedRequest, index: number) => number): void;
  /** Resolves once at least `count` requests arrived (rejects after `timeoutMs`). */
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /**
   * Checks a request's Standard Webhooks signature with `secret`, as a receiver would with the
   * `standardwebhooks` library; resolves with the verified payload, throws when it does not verify.
   */
  verify(request: ReceivedRequest, secret: string): any;
  stop(): Promise<void>;
}

/** Starts a receiver on a free port of 127.0.0.1. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  let decide: (request: ReceivedRequest, index: number) => number = () => 200;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        // Kept as text; the test will say so.
      }
      const request = { headers: req.headers, body, json };
      requests.push(request);
      const status = decide(request, requests.length - 1);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `refused with ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    requests,
    respondWith(fn) {
      decide = fn;
    },
    waitForRequests(count, timeoutMs = 20_000) {
      return eventually(async () => (requests.length >= count ? requests.slice() : undefined), timeoutMs, 50);
    },
    verify(request, secret) {
      const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(request.headers[h] ?? '')]));
      return new Webhook(secret).verify(request.body, headers);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
