import type { Server as HttpServer } from 'node:http';
import type * as grpc from '@grpc/grpc-js';
import type express from 'express';
import { buildGrpcServer, listenGrpc } from './api/grpc/server.ts';
import { buildRestApp } from './api/rest/app.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { connectNode } from './redis/connectNode.ts';
import { countKeysInSlots, countKeysPerSlot } from './redis/countKeysInSlots.ts';
import { readFunctionLibraries } from './redis/functions.ts';
import type { Redis } from 'ioredis';
import { ConnectionPool } from './redis/connectionPool.ts';
import { NodeConnections } from './redis/nodeConnections.ts';
import { jobsInFlight } from './redis/atomicMigration.ts';
import { serversById, observeCluster } from './redis/observeCluster.ts';
import { wipeNode } from './redis/wipeNode.ts';
import { explainNotReady } from './redis/explainNotReady.ts';
import { readConfig } from './redis/configValues.ts';
import { checkReadiness } from './redis/readiness.ts';
import { createAuthenticator } from './service/auth.ts';
import { createHealer } from './service/healing.ts';
import type { ServiceDeps } from './service/deps.ts';
import type { NodeAuth } from './store/records.ts';
import { IDEMPOTENCY_KEEP_MS } from './service/idempotency.ts';
import { OperationChanges, UNFINISHED } from './service/operationChanges.ts';
import { ReadCache } from './service/readCache.ts';
import { openDatabase, type Database } from './store/database.ts';
import { EVENT_CHANNEL } from './store/events.ts';
import { deleteIdempotencyKeysBefore } from './store/idempotencyKeys.ts';
import { migrate } from './store/migrate.ts';
import { observeOne } from './observer/observeOne.ts';
import { LOOK_TIMEOUT_MS } from './redis/observeCluster.ts';
import { startObserver } from './observer/observer.ts';
import { startDeliverer } from './notify/deliverer.ts';
import { DEFAULT_RETRY_SCHEDULE } from './notify/retrySchedule.ts';
import { startWorker, type RunningWorker } from './worker/worker.ts';

const KEY_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

export interface RunningService {
  readonly db: Database;
  readonly restApp: express.Express;
  /** Bound REST port, when the rest role runs. */
  readonly restPort: number | null;
  /** Bound gRPC port, when the grpc role runs. */
  readonly grpcPort: number | null;
  readonly worker: RunningWorker | null;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly config: Config;
  readonly log: Logger;
  /** Receives the admin token generated on first start (main prints it once). */
  readonly announceToken: (token: string) => void;
  /** Use this database instead of opening one from the config (tests pass a shared PGlite). */
  readonly db?: Database;
}

/**
 * The composition root's body: opens and migrates the database, then starts the parts this process
 * runs (REST, gRPC, worker). Used by main.ts and by the tests, so both run the same wiring.
 */
export async function startService({ config, log, announceToken, db: given }: StartOptions): Promise<RunningService> {
  const db = given ?? (await openDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir }));
  const { applied } = await migrate(db);
  if (applied.length > 0) log.info('applied migrations', { migrations: applied });

  // Node connections outlive a request or an operation by a minute: planning reads, the steps of
  // the next operation and the look after it reuse them instead of connecting again.
  const pool = new ConnectionPool();
  const changes = new OperationChanges();
  const reads = new ReadCache();
  // Every appended event is NOTIFYed (see appendEvent): streams in this process wake at once,
  // whichever process wrote it.
  const events = new OperationChanges();
  const unlisten = await db.listen(EVENT_CHANNEL, () => events.announce('event')).catch((err: unknown) => {
    log.warn('listening for events failed; streams poll instead', { error: String(err) });
    return null;
  });
  const worker = config.roles.has('worker')
    ? startWorker({
      db, workerId: config.workerId, leaseSeconds: config.leaseSeconds,
      pollIntervalMs: config.pollIntervalMs, concurrency: config.workerConcurrency, log,
      onOperationChange: (id, stored) => {
        reads.clear();
        // A claim or an end comes with the operation as stored: the next reads need not ask the database.
        if (stored) reads.rememberOperation(stored);
        changes.announce(id, stored ?? UNFINISHED);
      },
      observe: async (cluster, observed, at) => {
        const connections = new NodeConnections(cluster.auth ?? undefined, { connectTimeoutMs: LOOK_TIMEOUT_MS, commandTimeoutMs: LOOK_TIMEOUT_MS }, pool);
        try {
          await observeOne(db, cluster, { connections, observed, now: () => at });
        } finally {
          await connections.closeAll();
        }
        reads.forgetCluster(cluster.name);
      },
      pool,
    })
    : null;
  const withClient = async <T>(address: string, auth: NodeAuth | null, fn: (client: Redis) => Promise<T>): Promise<T> => {
    const client = await connectNode(address, auth ?? undefined);
    try {
      return await fn(client);
    } finally {
      client.disconnect();
    }
  };
  const auth = await createAuthenticator(db, config.adminToken, announceToken);
  const deps: ServiceDeps = {
    db,
    reads,
    observe: async (addresses, auth, opts = {}) => {
      const connections = new NodeConnections(auth ?? undefined, {}, pool);
      try {
        // On the look's connections: a connection of its own per master cost a connect (2-5 ms
        // here) whenever the pool kept one connection per node, as after a cluster's creation.
        const listing = opts.listJobsOn && Promise.all([...opts.listJobsOn].map(async ([address, dialect]) =>
          jobsInFlight(dialect, await connections.get(address), address).then((jobs) => [[address, jobs] as const], () => [])));
        const observed = await observeCluster([...addresses], auth ?? undefined, { stats: true, connections });
        return { ...observed, servers: serversById(observed), ...(listing ? { listedJobs: new Map((await listing).flat()) } : {}) };
      } finally {
        await connections.closeAll();
      }
    },
    checkReady: async (addresses, auth) => {
      const connections = new NodeConnections(auth ?? undefined, {}, pool);
      try {
        const clients = new Map<string, Redis>();
        const unreachable: { address: string; reason: string }[] = [];
        await Promise.all(addresses.map(async (a) => {
          try {
            clients.set(a, await connections.get(a));
          } catch (err) {
            unreachable.push({ address: a, reason: `unreachable: ${err instanceof Error ? err.message : String(err)}` });
          }
        }));
        const result = await checkReadiness(clients);
        if (result.ready && unreachable.length === 0) return { ready: true, problems: [] };
        return { ready: false, problems: [...unreachable, ...(await explainNotReady(connections, result.problems))] };
      } finally {
        await connections.closeAll();
      }
    },
    // On the kept connections, summed on the node: a dry run counts every move, and planning counts
    // an atomic move's first jobs while the operation is being stored.
    countKeys: async (address, auth, slots) => {
      const connections = new NodeConnections(auth ?? undefined, {}, pool);
      try {
        return await countKeysInSlots(await connections.get(address), slots);
      } finally {
        await connections.closeAll();
      }
    },
    keysPerSlot: (address, auth, slots) => withClient(address, auth, (c) => countKeysPerSlot(c, slots)),
    functionLibraries: (address, auth) => withClient(address, auth, readFunctionLibraries),
    readConfig: (address, auth, names) => withClient(address, auth, (c) => readConfig(c, names)),
    // On the kept connections: a reshard asks every master before it plans.
    atomicJobsInFlight: async (address, auth, dialect) => {
      const connections = new NodeConnections(auth ?? undefined, {}, pool);
      try {
        return await jobsInFlight(dialect, await connections.get(address), address);
      } finally {
        await connections.closeAll();
      }
    },
    observeNow: async (cluster) => {
      await observeOne(db, cluster);
      reads.clear();
    },
    wipeNodes: (addresses, auth) => Promise.all(addresses.map(async (address) => {
      try {
        await withClient(address, auth, wipeNode);
        return { address, error: null };
      } catch (err) {
        return { address, error: err instanceof Error ? err.message : String(err) };
      }
    })),
    operationQueued: (op, planned, reservation) => {
      reads.rememberOperation(op);
      worker?.wake({ operation: op, planned, reservation });
    },
    // The embedded store has one writer, this process: an operation may be inserted claimed (see insertPlannedOperation).
    ...(worker && db.kind === 'pglite' ? { reserveRun: () => worker.reserve() } : {}),
    notifyCancel: (id) => worker?.cancel(id),
    nextChange: (id, maxWaitMs, signal) => changes.next(id, maxWaitMs, signal),
    nextEvent: async (maxWaitMs, signal) => {
      await events.next('event', maxWaitMs, signal);
    },
    tokenRevoked: () => auth.forget(),
    createReadyTimeoutSeconds: config.createReadyTimeoutSeconds,
    webhookAllowedHosts: config.webhookAllowedHosts,
    adminTokenFromEnv: config.adminToken !== null,
    now: () => new Date(),
  };
  const healer = createHealer(deps);
  const restApp = buildRestApp({ deps, auth, log, isReady: async () => (await db.query('select 1 as ok')).length === 1 });

  let http: HttpServer | null = null;
  let restPort: number | null = null;
  if (config.roles.has('rest')) {
    http = await new Promise<HttpServer>((resolve, reject) => {
      const server = restApp.listen(config.port, config.host, (err?: Error) => (err ? reject(err) : resolve(server)));
    });
    const address = http.address();
    restPort = typeof address === 'object' && address ? address.port : config.port;
    log.info('REST API listening', { host: config.host, port: restPort });
  }
  let grpcServer: grpc.Server | null = null;
  let grpcPort: number | null = null;
  if (config.roles.has('grpc')) {
    grpcServer = buildGrpcServer({ deps, auth, log }).server;
    grpcPort = await listenGrpc(grpcServer, config.host, config.grpcPort);
    log.info('gRPC API listening', { host: config.host, port: grpcPort });
  }
  if (worker) log.info('worker started', { workerId: config.workerId, leaseSeconds: config.leaseSeconds });
  const observer = config.roles.has('observer')
    ? startObserver({
      db, observerId: config.workerId, intervalSeconds: config.observeIntervalSeconds, concurrency: config.observerConcurrency, log,
      observe: async (cluster, connections) => {
        await observeOne(db, cluster, { connections });
        reads.forgetCluster(cluster.name);
        const queued = await healer.heal(cluster);
        if (queued) log.info('healing queued', { cluster: cluster.name, operationId: queued });
      },
    })
    : null;
  if (observer) log.info('observer started', { observerId: config.workerId, intervalSeconds: config.observeIntervalSeconds });
  // Webhooks are sent by the processes that observe: both are the service's outward-facing watch.
  const deliverer = config.roles.has('observer')
    ? startDeliverer({
      db, delivererId: config.workerId, log, allowedHosts: config.webhookAllowedHosts,
      schedule: { ...DEFAULT_RETRY_SCHEDULE, baseMs: config.webhookRetryBaseMs, giveUpMs: config.webhookGiveUpSeconds * 1000 },
      nextEvent: async (maxWaitMs, signal) => {
        await events.next('event', maxWaitMs, signal);
      },
    })
    : null;
  // Idempotency keys are remembered for a day; an API process sweeps older ones once an hour.
  const sweep = config.roles.has('rest') || config.roles.has('grpc')
    ? setInterval(() => {
      deleteIdempotencyKeysBefore(db, new Date(Date.now() - IDEMPOTENCY_KEEP_MS)).catch((err: unknown) => log.warn('idempotency key sweep failed', { error: String(err) }));
    }, KEY_SWEEP_INTERVAL_MS).unref()
    : null;

  return {
    db, restApp, restPort, grpcPort, worker,
    async stop() {
      if (sweep) clearInterval(sweep);
      await Promise.all([
        http && new Promise<void>((resolve) => { http.close(() => resolve()); http.closeAllConnections(); }),
        grpcServer && new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve())),
        worker?.stop(),
        observer?.stop(),
        deliverer?.stop(),
      ]);
      await unlisten?.();
      pool.closeAll();
      if (!given) await db.close();
    },
  };
}
