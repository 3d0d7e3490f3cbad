import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Creates a PGlite database in `dataDir` (its initdb) in a child process, when it has none yet.
 * initdb grows PGlite's WebAssembly memory to ~700 MB, which a process never gives back; done in
 * a child that then exits, the service opens the ready database at ~170 MB instead (measured,
 * PGlite 0.5). Costs one Node.js start (~0.1 s) on the very first start only.
 */
export async function initPgliteDataDir(dataDir: string): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  const entry = import.meta.resolve('@electric-sql/pglite');
  const script = `const { PGlite } = await import(${JSON.stringify(entry)});
const db = new PGlite(process.argv[1]);
await db.waitReady;
await db.close();`;
  await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, dataDir]);
}
