import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { OperationView } from '../../src/contract/operationView.ts';
import { BACKENDS, type TestDatabase } from '../store/backends.ts';
import { killOnExit } from './killOnExit.ts';
import { fillWithEmptyDataDir } from './pgliteTemplate.ts';
import { ADMIN_TOKEN, AUTH } from './testService.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

/** How a child process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A JSON answer of the REST API. */
export interface ApiResponse<T = any> {
  readonly status: number;
  readonly body: T;
}

/** One `node src/main.ts` started by {@link startServiceProcess}. */
export interface ServiceProcess {
  /** `http://127.0.0.1:<port>`, or null when the process does not run the rest role. */
  readonly baseUrl: string | null;
  readonly pid: number;
  /** The `WORKER_ID` this process was given. */
  readonly workerId: string;
  /** Settles once the process is gone (never rejects). */
  readonly exited: Promise<ProcessExit>;
  /** Sends `signal` (default SIGKILL) and waits until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<ProcessExit>;
  /** SIGTERM (a graceful stop), then SIGKILL if it has not ended within 10 s. Safe to call twice. */
  stop(): Promise<ProcessExit>;
  /** Everything the process wrote to stdout and stderr so far, for failure messages. */
  output(): string;
  /** Calls the REST API with the admin token; the body is parsed JSON (or the raw text). */
  api<T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
}

/** What the child runs with; every other variable of this process is passed on too. */
export interface ServiceProcessOptions {
  /** Exactly one of these selects the database: a PostgreSQL URL, or a PGlite directory. */
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  /** `WORKER_ID`: names this process in leases and in `operation_started` events. */
  readonly workerId: string;
  /** `SLOTSMITH_ROLES` (default all three). */
  readonly roles?: string;
  /** `LEASE_SECONDS` (default 3, the minimum, so a dead worker's operation is reclaimed quickly). */
  readonly leaseSeconds?: number;
  /** More environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}


/**
 * Starts the service as a real child process, `node --import tsx src/main.ts` (not through npm, so
 * a signal reaches the service itself), on OS-chosen free ports (`PORT=0`, `GRPC_PORT=0`, the bound
 * port is read from the service's log line) with the test admin token, and resolves once
 * `GET /healthz` answers (or, for a process without the rest role, once its worker started).
 *
 * @example
 *   const svc = await startServiceProcess({ dataDir, workerId: 'w1' });
 *   const res = await svc.api('GET', '/v1/clusters');
 *   await svc.kill('SIGKILL');
 */
export async function startServiceProcess(opts: ServiceProcessOptions): Promise<ServiceProcess> {
  if ((opts.databaseUrl === undefined) === (opts.dataDir === undefined)) throw new Error('give exactly one of databaseUrl and dataDir');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    SLOTSMITH_ADMIN_TOKEN: ADMIN_TOKEN,
    SLOTSMITH_ROLES: opts.roles ?? 'rest,grpc,worker',
    WORKER_ID: opts.workerId,
    LEASE_SECONDS: String(opts.leaseSeconds ?? 3),
    POLL_INTERVAL_MS: '100',
    LOG_LEVEL: 'info',
    ...opts.env,
  };
  delete env.DATABASE_URL;
  delete env.DATA_DIR;
  delete env.NODE_TEST_CONTEXT; // the child is a service, not a test file reporting to this runner
  if (opts.databaseUrl !== undefined) env.DATABASE_URL = opts.databaseUrl;
  if (opts.dataDir !== undefined) env.DATA_DIR = opts.dataDir;

  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  const exited = new Promise<ProcessExit>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
    child.once('error', () => resolveExit({ code: null, signal: null }));
  });
  let output = '';
  let restPort: number | null = null;
  /** A process without the rest role is up once its worker or observer says so. */
  let workerStarted = false;
  let pending = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output += text;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as { message?: string; port?: number };
        if (entry.message === 'REST API listening' && typeof entry.port === 'number') restPort = entry.port;
        if (entry.message === 'worker started' || entry.message === 'observer started') workerStarted = true;
      } catch {
        // not a log line
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  let gone: ProcessExit | null = null;
  void exited.then((e) => (gone = e));
  const wantsRest = (env.SLOTSMITH_ROLES ?? '').split(',').map((r) => r.trim()).includes('rest');
  const deadline = Date.now() + START_TIMEOUT_MS;
  const failStart = async (why: string): Promise<never> => {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`service ${opts.workerId} ${why}\n--- output ---\n${output.slice(-4000)}`);
  };
  let baseUrl: string | null = null;
  for (;;) {
    if (gone) await failStart(`exited during start (${JSON.stringify(gone)})`);
    if (Date.now() > deadline) await failStart(`did not start within ${START_TIMEOUT_MS} ms`);
    if (wantsRest && restPort !== null) {
      const url = `http://127.0.0.1:${restPort}`;
      const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
      if (ok) {
        baseUrl = url;
        break;
      }
    }
    if (!wantsRest && workerStarted) break;
    await delay(50);
  }

  let stopping: Promise<ProcessExit> | null = null;
  const handle: ServiceProcess = {
    baseUrl,
    pid: child.pid!,
    workerId: opts.workerId,
    exited,
    async kill(signal = 'SIGKILL') {
      if (!gone) child.kill(signal);
      return exited;
    },
    stop() {
      stopping ??= (async () => {
        if (gone) return exited;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        const result = await exited;
        clearTimeout(timer);
        return result;
      })();
      return stopping;
    },
    output: () => output,
    async api(method, path, body) {
      if (!baseUrl) throw new Error(`service ${opts.workerId} runs no REST API`);
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // keep the text
      }
      return { status: res.status, body: parsed as never };
    },
  };
  return handle;
}

/** Polls GET /v1/operations/{id} on `service` until `done(op)` holds; returns that view. */
export async function waitForOperationState(
  service: ServiceProcess,
  id: string,
  done: (op: OperationView) => boolean,
  { timeoutMs = 120_000, what = 'the expected state' }: { timeoutMs?: number; what?: string } = {},
): Promise<OperationView> {
  const deadline = Date.now() + timeoutMs;
  let last: OperationView | null = null;
  for (;;) {
    const res = await service.api<OperationView>('GET', `/v1/operations/${id}`);
    if (res.status !== 200) throw new Error(`GET operation answered ${res.status}: ${JSON.stringify(res.body)}`);
    last = res.body;
    if (done(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`operation ${id} did not reach ${what} within ${timeoutMs} ms; last: ${last.status} ${JSON.stringify(last.progress)}`);
    }
    await delay(25);
  }
}

/** Whether an operation reached a final status. */
export function isFinal(op: OperationView): boolean {
  return op.status === 'succeeded' || op.status === 'failed' || op.status === 'cancelled';
}

/** One event of an operation's timeline as the REST API shows it. */
export interface EventView {
  readonly id: string;
  readonly at: string;
  readonly type: string;
  readonly message: string;
  readonly data: Record<string, unknown> | null;
}

/** Every event of an operation, oldest first, following the pages. */
export async function operationEvents(service: ServiceProcess, id: string): Promise<EventView[]> {
  const events: EventView[] = [];
  let token: string | null = null;
  do {
    const query: string = `pageSize=100${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`;
    const res: ApiResponse<{ events: EventView[]; nextPageToken: string | null }> = await service.api('GET', `/v1/operations/${id}/events?${query}`);
    if (res.status !== 200) throw new Error(`GET events answered ${res.status}: ${JSON.stringify(res.body)}`);
    events.push(...res.body.events);
    token = res.body.nextPageToken;
  } while (token);
  return events;
}

/** A claim of an operation as its `operation_started`/`operation_resumed` event tells it. */
export interface ClaimEvent {
  readonly type: 'operation_started' | 'operation_resumed';
  readonly workerId: string;
  readonly attempt: number;
}

/** The claims in an operation's timeline ("started by worker W (attempt N)"), oldest first. */
export function claimsOf(events: readonly EventView[]): ClaimEvent[] {
  return events.flatMap((e) => {
    if (e.type !== 'operation_started' && e.type !== 'operation_resumed') return [];
    const match = /by worker (\S+) \(attempt (\d+)\)/.exec(e.message);
    if (!match) throw new Error(`cannot read the worker from event "${e.message}"`);
    return [{ type: e.type, workerId: match[1]!, attempt: Number(match[2]) }];
  });
}

/** A fresh PostgreSQL database (dropped by `dispose`), with a pool on it for the test itself. */
export async function createPostgresDatabase(): Promise<TestDatabase> {
  const postgres = BACKENDS.find((b) => b.name === 'postgres');
  if (!postgres) throw new Error('no postgres backend');
  return postgres.create();
}

/**
 * A temp directory for an embedded PGlite database, holding an empty (initdb'd, unmigrated) one
 * from the machine's template, so the service's first start there skips initdb (seconds); `dispose`
 * removes it.
 */
export async function createDataDir(): Promise<{ readonly dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'slotsmith-data-'));
  await fillWithEmptyDataDir(dir);
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}
