import * as grpc from '@grpc/grpc-js';
import { packageDefinition } from '../../src/api/grpc/server.ts';
import { ADMIN_TOKEN } from './testService.ts';

type Unary = (req: object, metadata: grpc.Metadata, callback: (err: grpc.ServiceError | null, res: any) => void) => void;

export interface GrpcClients {
  clusters: grpc.Client & Record<string, Unary>;
  operations: grpc.Client & Record<string, Unary> & { watchOperation(req: object, metadata: grpc.Metadata): grpc.ClientReadableStream<any> };
  health: grpc.Client & Record<string, Unary>;
  events: grpc.Client & Record<string, Unary> & { watchEvents(req: object, metadata: grpc.Metadata): grpc.ClientReadableStream<any> };
  webhooks: grpc.Client & Record<string, Unary>;
  close(): void;
}

/** Real grpc-js clients for a server on `port`, built from the same proto as the server. */
export function grpcClients(port: number): GrpcClients {
  const proto = grpc.loadPackageDefinition(packageDefinition) as any;
  const target = `127.0.0.1:${port}`;
  const creds = grpc.credentials.createInsecure();
  const clusters = new proto.slotsmith.v1.ClusterService(target, creds);
  const operations = new proto.slotsmith.v1.OperationService(target, creds);
  const health = new proto.grpc.health.v1.Health(target, creds);
  const events = new proto.slotsmith.v1.EventService(target, creds);
  const webhooks = new proto.slotsmith.v1.WebhookService(target, creds);
  return { clusters, operations, health, events, webhooks, close: () => [clusters, operations, health, events, webhooks].forEach((c) => c.close()) };
}

export function authMetadata(token = ADMIN_TOKEN): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

/** Calls a unary method and resolves with its response, or rejects with the ServiceError. */
export function call<T = any>(client: Record<string, Unary>, method: string, req: object, metadata = authMetadata()): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]!(req, metadata, (err, res) => (err ? reject(err) : resolve(res as T)));
  });
}
