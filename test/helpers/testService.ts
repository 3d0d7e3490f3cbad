import type { Config } from '../../src/config.ts';
import { readConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { startService, type RunningService } from '../../src/startService.ts';
import { openDatabase } from '../../src/store/database.ts';

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
  const db = await openDatabase({});
  const service = await startService({ config, log: silentLogger, announceToken: () => undefined, db });
  return {
    ...service,
    async stop() {
      await service.stop();
      await db.close();
    },
  };
}
