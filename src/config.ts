import { hostname } from 'node:os';

export type Role = 'rest' | 'grpc' | 'worker' | 'observer';
const ALL_ROLES: readonly Role[] = ['rest', 'grpc', 'worker', 'observer'];

/**
 * Every option of the service, with its default, read once at start. The README's configuration
 * table lists the same names and defaults.
 */
export interface Config {
  /** REST port (`PORT`, default 8080). */
  readonly port: number;
  /** gRPC port (`GRPC_PORT`, default 50051). */
  readonly grpcPort: number;
  /** Address both servers bind to (`HOST`, default 0.0.0.0). */
  readonly host: string;
  /** Embedded PGlite data directory (`DATA_DIR`, default ./.data); unused when `databaseUrl` is set. */
  readonly dataDir: string;
  /** PostgreSQL connection string (`DATABASE_URL`); unset means the embedded PGlite. */
  readonly databaseUrl: string | null;
  /** Admin bearer token (`SLOTSMITH_ADMIN_TOKEN`); unset means one is generated on first start. */
  readonly adminToken: string | null;
  /** Which parts run in this process (`SLOTSMITH_ROLES` or `--roles=`, default rest,grpc,worker,observer). */
  readonly roles: ReadonlySet<Role>;
  /** Identity of this process's worker in operation leases (`WORKER_ID`, default host-pid). */
  readonly workerId: string;
  /** Lease of a claimed operation, renewed by heartbeat every third of it (`LEASE_SECONDS`, default 15). */
  readonly leaseSeconds: number;
  /** How often an idle worker looks for queued operations (`POLL_INTERVAL_MS`, default 500). */
  readonly pollIntervalMs: number;
  /** Operations one worker runs at once, on different clusters (`WORKER_CONCURRENCY`, default 4). */
  readonly workerConcurrency: number;
  /** How long a new cluster may take to become ready before the create fails (`CREATE_READY_TIMEOUT_SECONDS`, default 60). */
  readonly createReadyTimeoutSeconds: number;
  /** Seconds between two looks of the observer at each cluster (`OBSERVE_INTERVAL_SECONDS`, default 5). */
  readonly observeIntervalSeconds: number;
  /** Clusters one observer looks at at once (`OBSERVER_CONCURRENCY`, default 8). */
  readonly observerConcurrency: number;
  /** Hosts webhooks may point at (`WEBHOOK_ALLOWED_HOSTS`, comma-separated; `*.example.com` for subdomains); unset allows any. */
  readonly webhookAllowedHosts: readonly string[] | null;
  /** First retry delay of a failed webhook delivery, doubling per attempt up to an hour (`WEBHOOK_RETRY_BASE_MS`, default 5000). */
  readonly webhookRetryBaseMs: number;
  /** How long a failing webhook delivery is retried before it is given up (`WEBHOOK_GIVE_UP_SECONDS`, default 86400: a day). */
  readonly webhookGiveUpSeconds: number;
  /** Minimum log level (`LOG_LEVEL`: debug, info, warn, error; default info). */
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** Reads the configuration from environment and command-line flags; throws naming the bad variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv.slice(2)): Config {
  const rolesFlag = argv.find((a) => a.startsWith('--roles='))?.slice('--roles='.length);
  return {
    port: intOf(env, 'PORT', 8080, 0, 65535),
    grpcPort: intOf(env, 'GRPC_PORT', 50051, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir: env.DATA_DIR || './.data',
    databaseUrl: env.DATABASE_URL || null,
    adminToken: env.SLOTSMITH_ADMIN_TOKEN || null,
    roles: rolesOf(rolesFlag ?? env.SLOTSMITH_ROLES),
    workerId: env.WORKER_ID || `${hostname()}-${process.pid}`,
    leaseSeconds: intOf(env, 'LEASE_SECONDS', 15, 3, 3600),
    pollIntervalMs: intOf(env, 'POLL_INTERVAL_MS', 500, 10, 60_000),
    workerConcurrency: intOf(env, 'WORKER_CONCURRENCY', 4, 1, 64),
    createReadyTimeoutSeconds: intOf(env, 'CREATE_READY_TIMEOUT_SECONDS', 60, 1, 3600),
    observeIntervalSeconds: intOf(env, 'OBSERVE_INTERVAL_SECONDS', 5, 1, 3600),
    observerConcurrency: intOf(env, 'OBSERVER_CONCURRENCY', 8, 1, 256),
    webhookAllowedHosts: env.WEBHOOK_ALLOWED_HOSTS ? env.WEBHOOK_ALLOWED_HOSTS.split(',').map((h) => h.trim()).filter(Boolean) : null,
    webhookRetryBaseMs: intOf(env, 'WEBHOOK_RETRY_BASE_MS', 5_000, 100, 3_600_000),
    webhookGiveUpSeconds: intOf(env, 'WEBHOOK_GIVE_UP_SECONDS', 86_400, 1, 30 * 86_400),
    logLevel: levelOf(env.LOG_LEVEL),
  };
}

function intOf(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function rolesOf(raw: string | undefined): ReadonlySet<Role> {
  if (!raw) return new Set(ALL_ROLES);
  const roles = raw.split(',').map((r) => r.trim()).filter(Boolean);
  for (const role of roles) {
    if (!ALL_ROLES.includes(role as Role)) {
      throw new Error(`SLOTSMITH_ROLES: unknown role "${role}" (expected some of ${ALL_ROLES.join(', ')})`);
    }
  }
  if (roles.length === 0) throw new Error('SLOTSMITH_ROLES must name at least one role');
  return new Set(roles as Role[]);
}

function levelOf(raw: string | undefined): Config['logLevel'] {
  if (!raw) return 'info';
  if (raw === 'debug' || raw === 'info' || raw === 'warn' || raw === 'error') return raw;
  throw new Error(`LOG_LEVEL must be one of debug, info, warn, error, got "${raw}"`);
}
