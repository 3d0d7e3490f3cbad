import { readConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startService } from './startService.ts';

const config = readConfig();
const log = createLogger(config.logLevel);

const service = await startService({
  config,
  log,
  announceToken: (token) => {
    // Printed once, on stderr and outside the structured log, so log shipping never carries it.
    process.stderr.write(`\nslotsmith: no API token existed, so an admin token was created. It is shown only this once:\n\n  ${token}\n\nUse it as "Authorization: Bearer <token>".\n\n`);
  },
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    service.stop().then(() => process.exit(0), (err: unknown) => {
      log.error('stop failed', { error: String(err) });
      process.exit(1);
    });
  });
}
