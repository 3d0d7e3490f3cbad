import { after, before } from 'node:test';
import type { Config } from '../../src/config.ts';
import { readConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { startService, type RunningService } from '../../src/startService.ts';
import { openTestPGlite } from './pgliteTemplate.ts';
import { startRedisNodes, type RedisNodeSet } from './redisNodes.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const AUTH = `Bearer ${ADMIN_TOKEN}`;

/**
 * The whole service in this process on an in-memory PGlite: REST and gRPC on free ports and the
 * worker, wired exactly as `npm start` wires them.
 */
export async function startTestService(overrides: Partial<Config> = {}): Promise<RunningService> {
  const config: Config = {
    ...readConfig({ SLOTSMITH_ADMIN_TOKEN: ADMIN_TOKEN, PORT: '0', GRPC_PORT: '0', HOST: '127.0.0.1', POLL_INTERVAL_MS: '100' }, []),
    ...overrides,
  };
  const db = await openTestPGlite();
  const service = await startService({ config, log: silentLogger, announceToken: () => undefined, db });
  return {
    ...service,
    async stop() {
      await service.stop();
      await db.close();
    },
  };
}

/** The service and fresh nodes of one suite, set up by {@link useServiceWithNodes}. */
export interface ServiceWithNodes {
  readonly service: RunningService;
  readonly set: RedisNodeSet;
}

/**
 * Registers `before`/`after` hooks in the calling suite that start the service (see
 * {@link startTestService}) and `nodeCount` fresh nodes, and stop both; read them from the
 * returned object inside tests.
 */
export function useServiceWithNodes(nodeCount: number, overrides: Partial<Config> = {}): ServiceWithNodes {
  let started: { service: RunningService; set: RedisNodeSet } | undefined;
  before(async () => {
    started = { service: await startTestService(overrides), set: await startRedisNodes(nodeCount) };
  });
  after(async () => {
    await started?.service.stop();
    await started?.set.stop();
  });
  const get = () => {
    if (!started) throw new Error('used outside the suite that set it up');
    return started;
  };
  return {
    get service() {
      return get().service;
    },
    get set() {
      return get().set;
    },
  };
}
