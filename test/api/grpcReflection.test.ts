import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { RunningService } from '../../src/startService.ts';
import { startTestService } from '../helpers/testService.ts';

// The reflection proto that ships with @grpc/reflection: the client knows nothing of slotsmith's protos.
const require = createRequire(import.meta.url);
const reflectionProto = join(dirname(require.resolve('@grpc/reflection')), '..', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto');

let service: RunningService;
before(async () => {
  service = await startTestService({ roles: new Set(['grpc']) });
});
after(async () => {
  await service.stop();
});

test('server reflection lists the services without the proto files', async () => {
  const def = protoLoader.loadSync(reflectionProto, { keepCase: true });
  const proto = grpc.loadPackageDefinition(def) as any;
  const client = new proto.grpc.reflection.v1.ServerReflection(`127.0.0.1:${service.grpcPort}`, grpc.credentials.createInsecure());
  try {
    const services = await new Promise<string[]>((resolve, reject) => {
      const stream = client.ServerReflectionInfo();
      stream.on('data', (res: any) => {
        resolve(res.list_services_response.service.map((s: { name: string }) => s.name));
        stream.end();
      });
      stream.on('error', reject);
      stream.write({ list_services: '' });
    });
    for (const name of ['slotsmith.v1.ClusterService', 'slotsmith.v1.OperationService', 'grpc.health.v1.Health']) {
      assert.ok(services.includes(name), `${name} in ${services.join(', ')}`);
    }
  } finally {
    client.close();
  }
});
