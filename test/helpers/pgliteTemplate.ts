import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase, type Database } from '../../src/store/database.ts';

const version = (JSON.parse(readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8')) as { version: string }).version;
/** One empty data directory per PGlite version, shared by every test process of the machine. */
const TEMPLATE = join(tmpdir(), `slotsmith-pglite-empty-${version}.tar`);
let loaded: Promise<Blob> | undefined;

/**
 * An empty (initdb'd, unmigrated) PGlite data directory as a tarball: made once per machine and
 * kept in the temp directory, so each test database skips initdb (seconds each, hundreds of
 * times per run). Written under a temporary name and renamed, so concurrent test processes never
 * read half a file.
 */
function emptyDataDir(): Promise<Blob> {
  loaded ??= (async () => {
    try {
      return new Blob([await readFile(TEMPLATE)]);
    } catch {
      const pglite = new PGlite();
      await pglite.waitReady;
      const dump = await pglite.dumpDataDir('none');
      await pglite.close();
      const partial = `${TEMPLATE}.${randomBytes(4).toString('hex')}`;
      await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
      await rename(partial, TEMPLATE);
      return dump;
    }
  })();
  return loaded;
}

/**
 * Fills `dir` (an empty directory) with the empty data directory, as the service's first start in
 * it would (its initdb, ~5 s of CPU here: `migrate.test.ts` tests that path itself). The dump is a
 * plain tar of the data directory's files.
 */
export async function fillWithEmptyDataDir(dir: string): Promise<void> {
  await emptyDataDir();
  await promisify(execFile)('tar', ['-xf', TEMPLATE, '-C', dir]);
}

/** A new, empty, unmigrated in-memory PGlite database, as `openDatabase({})` makes, only faster. */
export async function openTestPGlite(): Promise<Database> {
  return openDatabase({ initialDataDir: await emptyDataDir() });
}

/** A new, empty in-memory PGlite instance itself (for what sits below `Database`), from the same template. */
export async function openTestPGliteInstance(): Promise<PGlite> {
  const pglite = new PGlite({ loadDataDir: await emptyDataDir() });
  await pglite.waitReady;
  return pglite;
}
