import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import type { Logger } from '../../logger.ts';
import type { Authenticator } from '../../service/auth.ts';
import { checkCluster } from '../../service/checkCluster.ts';
import { fixCluster } from '../../service/fixCluster.ts';
import { failover } from '../../service/failover.ts';
import { rebalance, reshard } from '../../service/moveSlots.ts';
import { addNode, removeNode } from '../../service/nodes.ts';
import { moveReplica } from '../../service/replicas.ts';
import { adoptCluster } from '../../service/adoptCluster.ts';
import { createCluster, getCluster, listClusters } from '../../service/clusters.ts';
import { setHealing } from '../../service/healing.ts';
import { releaseCluster } from '../../service/releaseCluster.ts';
import type { Caller, ServiceDeps } from '../../service/deps.ts';
import { idempotently, refuseIdempotencyKey } from '../../service/idempotency.ts';
import { createToken, listTokens, revokeToken } from '../../service/tokens.ts';
import { cancelOperation, getOperation, listOperations, watchOperation } from '../../service/operations.ts';
import { createWebhook, deleteWebhook, getWebhook, listWebhookDeliveries, listWebhooks, testWebhook } from '../../service/webhooks.ts';
import { listEventLog, parseEventQuery, streamEventLog } from '../../service/eventLog.ts';
import { changeMessage, checkMessage, clusterMessage, eventMessage, eventQueryOf, operationMessage, planMessage, reshardInputOf, tokenMessage, withHealingInput, healingInputOf, healingMessage, webhookInputOf, webhookMessage, deliveryMessage } from './messages.ts';
import { toGrpcError } from './status.ts';

export const PROTO_FILE = fileURLToPath(new URL('../../../proto/slotsmith/v1/slotsmith.proto', import.meta.url));

/**
 * `defaults: false` keeps unset fields absent, so the service layer reports a missing field the same
 * way as over REST; `oneofs: false` keeps proto3 `optional` from adding virtual fields.
 */
export const packageDefinition = protoLoader.loadSync([PROTO_FILE, healthProtoPath], {
  keepCase: false, longs: Number, enums: String, defaults: false, arrays: false, oneofs: false,
});

type Req = Record<string, unknown>;

/** What a unary handler learns of its call besides the request. */
interface UnaryContext {
  readonly cancelled: AbortSignal;
  /** The `idempotency-key` metadata value, if sent. */
  readonly idempotencyKey: string | undefined;
}

export interface GrpcOptions {
  readonly deps: ServiceDeps;
  readonly auth: Authenticator;
  readonly log: Logger;
}

function callerOf(auth: Authenticator, metadata: grpc.Metadata): Promise<Caller> {
  const value = metadata.get('authorization')[0];
  return auth.authenticate(typeof value === 'string' ? value : value?.toString('utf8'));
}

/** A grpc-js server with ClusterService, OperationService, health checking and reflection. */
export function buildGrpcServer({ deps, auth, log }: GrpcOptions): { server: grpc.Server; health: HealthImplementation } {
  const proto = grpc.loadPackageDefinition(packageDefinition) as unknown as {
    slotsmith: { v1: Record<'ClusterService' | 'OperationService' | 'EventService' | 'TokenService' | 'WebhookService', grpc.ServiceClientConstructor> };
  };
  const server = new grpc.Server();
  const fail = (err: unknown) => {
    const status = toGrpcError(err);
    if (status.code === grpc.status.INTERNAL) log.error('grpc call failed', { error: String(err) });
    return status;
  };
  /** `call.cancelled` aborts when the client cancels the call or its deadline passes. */
  const unary = (fn: (req: Req, caller: Caller, call: UnaryContext) => Promise<unknown>): grpc.handleUnaryCall<Req, unknown> =>
    (call, callback) => {
      const cancelled = new AbortController();
      call.on('cancelled', () => cancelled.abort());
      const key = call.metadata.get('idempotency-key')[0];
      callerOf(auth, call.metadata)
        .then((caller) => fn(call.request, caller, { cancelled: cancelled.signal, idempotencyKey: key === undefined ? undefined : String(key) }))
        .then((res) => callback(null, res), (err: unknown) => callback(fail(err)));
    };
  /**
   * A call that changes something: runs at most once per `idempotency-key` metadata value (see
   * service/idempotency.ts); `toMessage` maps the service's result, stored or fresh, to the reply.
   */
  const changeCall = <T>(method: string, change: (req: Req, caller: Caller) => Promise<T>, toMessage: (result: T) => unknown): grpc.handleUnaryCall<Req, unknown> =>
    unary(async (req, caller, { idempotencyKey }) =>
      toMessage(await idempotently(deps, caller, { key: idempotencyKey, fingerprint: { rpc: method, request: req } }, () => change(req, caller))));
  /** A server stream: authenticates, writes until `write` ends, ends the call; the client cancelling aborts `signal`. */
  const stream = (call: grpc.ServerWritableStream<Req, unknown>, write: (caller: Caller, signal: AbortSignal) => Promise<void>): void => {
    const stop = new AbortController();
    call.on('cancelled', () => stop.abort());
    (async () => {
      await write(await callerOf(auth, call.metadata), stop.signal);
      call.end();
    })().catch((err: unknown) => {
      // grpc-js turns an 'error' event carrying a status object into the call's final status.
      if (!stop.signal.aborted) call.emit('error', fail(err));
    });
  };
  const createMessage = (result: Awaited<ReturnType<typeof createCluster>>) => ('dryRun' in result ? planMessage(result) : operationMessage(result));

  server.addService(proto.slotsmith.v1.ClusterService.service, {
    createCluster: changeCall('CreateCluster', (req, caller) => createCluster(deps, caller, withHealingInput(req)), createMessage),
    adoptCluster: changeCall('AdoptCluster', (req, caller) => adoptCluster(deps, caller, withHealingInput(req)), clusterMessage),
    setHealing: unary(async (req, caller) => healingMessage(await setHealing(deps, caller, req.name, healingInputOf(req.healing)))),
    planCluster: unary(async (req, caller) => createMessage(await createCluster(deps, caller, { ...withHealingInput(req), dryRun: true }))),
    getCluster: unary(async (req, caller) => clusterMessage(await getCluster(deps, caller, req.name, req.refresh ? { refresh: true } : {}))),
    deleteCluster: changeCall('DeleteCluster', async (req, caller) => {
      await releaseCluster(deps, caller, req.name, { ...(req.reset ? { reset: true } : {}), ...(req.confirm ? { confirm: req.confirm } : {}) });
      return {};
    }, (empty) => empty),
    reshard: changeCall('Reshard', (req, caller) => reshard(deps, caller, req.cluster, reshardInputOf(req)), changeMessage),
    rebalance: changeCall('Rebalance', ({ cluster, ...rest }, caller) => rebalance(deps, caller, cluster, rest), changeMessage),
    fixCluster: changeCall('FixCluster', (req, caller) => fixCluster(deps, caller, req.cluster, {
      ...(req.dryRun ? { dryRun: true } : {}), ...(req.replace ? { replace: true } : {}),
      ...(req.migrateTimeoutMs === undefined ? {} : { migrateTimeoutMs: req.migrateTimeoutMs }),
    }), changeMessage),
    checkCluster: unary(async (req, caller) => checkMessage(await checkCluster(deps, caller, req.name))),
    addNode: changeCall('AddNode', ({ cluster, ...rest }, caller) => addNode(deps, caller, cluster, rest), changeMessage),
    removeNode: changeCall('RemoveNode', ({ cluster, node, ...rest }, caller) => removeNode(deps, caller, cluster, node, rest), changeMessage),
    moveReplica: changeCall('MoveReplica', ({ cluster, ...rest }, caller) => moveReplica(deps, caller, cluster, rest), changeMessage),
    failover: changeCall('Failover', ({ cluster, ...rest }, caller) => failover(deps, caller, cluster, rest), changeMessage),
    listClusters: unary(async (req, caller) => {
      const page = await listClusters(deps, caller, req);
      return { clusters: page.clusters.map(clusterMessage), nextPageToken: page.nextPageToken ?? '' };
    }),
  });

  server.addService(proto.slotsmith.v1.OperationService.service, {
    getOperation: unary(async ({ id, waitSeconds }, caller, { cancelled }) =>
      operationMessage(await getOperation(deps, caller, id, waitSeconds === undefined ? {} : { waitSeconds }, cancelled))),
    cancelOperation: changeCall('CancelOperation', (req, caller) => cancelOperation(deps, caller, req.id), operationMessage),
    listOperations: unary(async (req, caller) => {
      const page = await listOperations(deps, caller, req);
      return { operations: page.operations.map(operationMessage), nextPageToken: page.nextPageToken ?? '' };
    }),
    watchOperation: (call: grpc.ServerWritableStream<Req, unknown>) => stream(call, async (caller, signal) => {
      for await (const op of watchOperation(deps, caller, call.request.id, signal)) call.write(operationMessage(op));
    }),
  });

  server.addService(proto.slotsmith.v1.EventService.service, {
    listEvents: unary(async (req, caller) => {
      const page = await listEventLog(deps, caller, eventQueryOf(req));
      return { events: page.events.map(eventMessage), nextPageToken: page.nextPageToken ?? '' };
    }),
    watchEvents: (call: grpc.ServerWritableStream<Req, unknown>) => stream(call, async (caller, signal) => {
      const query = parseEventQuery(eventQueryOf(call.request));
      const operationId = typeof call.request.operationId === 'string' && call.request.operationId !== '' ? call.request.operationId : undefined;
      const filter = operationId === undefined ? query : { ...query, filter: { ...query.filter, operationId }, fromStart: true };
      for await (const event of streamEventLog(deps, caller, filter, signal)) call.write(eventMessage(event));
    }),
  });

  server.addService(proto.slotsmith.v1.TokenService.service, {
    createToken: unary(async (req, caller, { idempotencyKey }) => {
      refuseIdempotencyKey(idempotencyKey);
      const { token, ...view } = await createToken(deps, caller, req);
      return { token: tokenMessage(view), secret: token };
    }),
    listTokens: unary(async (req, caller) => {
      const page = await listTokens(deps, caller, req);
      return { tokens: page.tokens.map(tokenMessage), nextPageToken: page.nextPageToken ?? '' };
    }),
    revokeToken: unary(async (req, caller) => {
      await revokeToken(deps, caller, req.id);
      return {};
    }),
  });

  server.addService(proto.slotsmith.v1.WebhookService.service, {
    createWebhook: unary(async (req, caller, { idempotencyKey }) => {
      refuseIdempotencyKey(idempotencyKey);
      const { secret, ...view } = await createWebhook(deps, caller, webhookInputOf(req));
      return { webhook: webhookMessage(view), secret };
    }),
    listWebhooks: unary(async (req, caller) => {
      const page = await listWebhooks(deps, caller, req);
      return { webhooks: page.webhooks.map(webhookMessage), nextPageToken: page.nextPageToken ?? '' };
    }),
    getWebhook: unary(async (req, caller) => webhookMessage(await getWebhook(deps, caller, req.id))),
    deleteWebhook: unary(async (req, caller) => {
      await deleteWebhook(deps, caller, req.id);
      return {};
    }),
    listDeliveries: unary(async (req, caller) => {
      const { id, ...query } = req;
      const page = await listWebhookDeliveries(deps, caller, id, query);
      return { deliveries: page.deliveries.map(deliveryMessage), nextPageToken: page.nextPageToken ?? '' };
    }),
    testWebhook: unary(async (req, caller) => deliveryMessage(await testWebhook(deps, caller, req.id))),
  });

  const health = new HealthImplementation({
    '': 'SERVING',
    'slotsmith.v1.ClusterService': 'SERVING',
    'slotsmith.v1.OperationService': 'SERVING',
    'slotsmith.v1.EventService': 'SERVING',
    'slotsmith.v1.TokenService': 'SERVING',
    'slotsmith.v1.WebhookService': 'SERVING',
  });
  health.addToServer(server);
  new ReflectionService(packageDefinition).addToServer(server);
  return { server, health };
}

/** Binds the server; resolves with the bound port (useful with port 0 in tests). */
export function listenGrpc(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}
