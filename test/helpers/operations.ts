import type express from 'express';
import request from 'supertest';
import type { OperationView } from '../../src/contract/operationView.ts';
import { AUTH } from './testService.ts';

/** Waits (long polls with `waitSeconds`) until the operation reaches a final status, or `timeoutMs` passes. */
export async function waitForOperation(app: express.Express, id: string, timeoutMs = 60_000): Promise<OperationView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const waitSeconds = Math.min(60, Math.max(0, Math.ceil((deadline - Date.now()) / 1000)));
    const res = await request(app).get(`/v1/operations/${id}?waitSeconds=${waitSeconds}`).set('authorization', AUTH);
    if (res.status !== 200) throw new Error(`GET operation answered ${res.status}: ${res.text}`);
    const op = res.body as OperationView;
    if (op.status === 'succeeded' || op.status === 'failed' || op.status === 'cancelled') return op;
    if (Date.now() >= deadline) throw new Error(`operation ${id} still ${op.status} after ${timeoutMs} ms: ${JSON.stringify(op.progress)}`);
  }
}
