import { ReadCache } from '../../src/service/readCache.ts';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { parse } from 'yaml';
import { restRoutes } from '../../src/api/rest/app.ts';
import { silentLogger } from '../../src/logger.ts';
import type { ServiceDeps } from '../../src/service/deps.ts';
import type { RunningService } from '../../src/startService.ts';
import { startTestService } from '../helpers/testService.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
type Method = (typeof METHODS)[number];

/** Every path of `openapi.yaml` with the methods it documents. */
async function documentedRoutes(): Promise<Map<string, Method[]>> {
  const spec = parse(await readFile(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  return new Map(Object.entries(spec.paths).map(([path, item]) => [
    path,
    METHODS.filter((m) => Object.hasOwn(item, m.toLowerCase())),
  ]));
}

/** A concrete request path for a template: `{name}` and friends get sample values. */
function concrete(template: string): string {
  return template
    .replace('{name}', 'c1')
    .replace('{node}', encodeURIComponent('127.0.0.1:7000'))
    .replace('{id}', '00000000-0000-4000-8000-000000000000');
}

describe('the REST route table answers for every path of openapi.yaml', () => {
  let service: RunningService;
  let documented: Map<string, Method[]>;
  before(async () => {
    service = await startTestService();
    documented = await documentedRoutes();
  });
  after(async () => service.stop());

  test('the route table and openapi.yaml list the same paths and methods', () => {
    const table = new Map<string, Method[]>();
    const unused = async (): Promise<never> => assert.fail('no route runs here');
    const deps: ServiceDeps = {
      db: service.db, observe: unused, checkReady: unused, countKeys: unused, keysPerSlot: unused, functionLibraries: unused, readConfig: unused, atomicJobsInFlight: unused, operationQueued: () => undefined, notifyCancel: () => undefined,
      nextChange: unused, nextEvent: unused, observeNow: unused, webhookAllowedHosts: null, reads: new ReadCache(), tokenRevoked: () => undefined, wipeNodes: unused, createReadyTimeoutSeconds: 60, adminTokenFromEnv: true, now: () => new Date(),
    };
    for (const r of restRoutes({ deps, auth: { authenticate: unused, forget: () => undefined }, log: silentLogger, isReady: async () => true })) {
      table.set(r.path, [...(table.get(r.path) ?? []), r.method]);
    }
    const sorted = (m: Map<string, Method[]>) => [...m].map(([p, ms]) => `${p} ${[...ms].sort().join(',')}`).sort();
    assert.deepEqual(sorted(table), sorted(documented));
  });

  test('every documented method is routed (a token is asked for, not a 404 or 405)', async () => {
    for (const [path, methods] of documented) {
      for (const method of methods) {
        const res = await request(service.restApp)[method.toLowerCase() as 'get'](concrete(path));
        const expected = path === '/healthz' || path === '/readyz' ? 200 : 401;
        assert.equal(res.status, expected, `${method} ${path}: ${res.status} ${res.text}`);
      }
    }
  });

  test('every other method gets 405 with an Allow header listing the documented ones', async () => {
    for (const [path, methods] of documented) {
      const allowed = [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].sort();
      for (const method of METHODS.filter((m) => !methods.includes(m))) {
        const res = await request(service.restApp)[method.toLowerCase() as 'get'](concrete(path));
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.equal(res.body.code, 'method_not_allowed');
        assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
        assert.deepEqual(String(res.headers.allow).split(', ').sort(), allowed, `Allow of ${path}`);
      }
    }
  });

  test('a path that is not in the table is a 404, whatever the method', async () => {
    for (const path of ['/', '/v1', '/v1/nope', '/v1/clusters/c1/nope', '/v1/operations/x/y/z', '/v2/clusters']) {
      for (const method of ['get', 'post', 'delete'] as const) {
        const res = await request(service.restApp)[method](path);
        assert.equal(res.status, 404, `${method} ${path}`);
        assert.equal(res.body.code, 'not_found');
        assert.equal(res.headers.allow, undefined);
      }
    }
  });
});
