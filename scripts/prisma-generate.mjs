// Runs `prisma generate` without network access (npm postinstall).
//
// Prisma's CLI wants a schema-engine binary before it starts any command, and downloads one when it
// is missing; this environment cannot download it. `generate` never calls the engine, so pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file (node itself) is enough. A value already set by
// the caller (a machine with a real engine) wins.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
}
// Nothing to ask Prisma's telemetry endpoint from an offline install.
env.CHECKPOINT_DISABLE ??= '1';

const cli = join(root, 'node_modules', 'prisma', 'build', 'index.js');
const [command, args] = existsSync(cli)
  ? [process.execPath, [cli, 'generate']]
  : ['npx', ['--no-install', 'prisma', 'generate']];

const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
if (result.error) {
  console.error(`prisma generate could not start: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
