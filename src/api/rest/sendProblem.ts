import type { Response } from 'express';
import type { ProblemBody } from './problem.ts';

/** Sends problem details as `application/problem+json`; a 401 also says how to authenticate. */
export function sendProblem(res: Response, body: ProblemBody): void {
  if (body.status === 401) res.set('WWW-Authenticate', 'Bearer realm="slotsmith"');
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}
