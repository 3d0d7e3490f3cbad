import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, statSync, unlinkSync, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killOnExit } from './killOnExit.ts';
import { Redis } from 'ioredis';

/** One running `redis-server` started by {@link startRedisNodes}. */
export interface RedisNode {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** The node's working directory (nodes.conf, redis.log). */
  readonly dir: string;
}

/** Nodes started together; `stop()` kills them and removes their directories. */
export interface RedisNodeSet {
  readonly nodes: RedisNode[];
  stop(): Promise<void>;
  /** Kills one node's process (SIGKILL, as a crash); its port and directory are kept for a restart. */
  kill(node: RedisNode): Promise<void>;
  /**
   * Starts a killed node again on its port and directory; `freshIdentity` deletes its nodes.conf
   * first, so it comes back as a new node (a new id, knowing no one) at the old address.
   */
  restart(node: RedisNode, opts?: { freshIdentity?: boolean }): Promise<void>;
}

/** How to start the nodes; every field is optional. */
export interface StartRedisNodesOptions {
  /** Start in cluster mode (default true). */
  readonly clusterEnabled?: boolean;
  /** Sets both `requirepass` and `masterauth` (only `requirepass` with `omitMasterauth`). */
  readonly password?: string;
  /** With `password`: start without `masterauth`, as a node set up with a password alone. */
  readonly omitMasterauth?: boolean;
  /** More `redis-server` options, e.g. `{ 'cluster-node-timeout': '500' }`. */
  readonly extraConfig?: Readonly<Record<string, string>>;
  /** Which server to run (default `redis7`, this machine's `redis-server`); see {@link serverBinary}. */
  readonly server?: TestServer;
}

/** The servers the suite runs against: Redis 7.0 (the system's), Valkey 9 and Redis 8 (`scripts/servers.sh`). */
export type TestServer = 'redis7' | 'valkey9' | 'redis8';

/** Every server, for tests that repeat themselves on each. */
export const TEST_SERVERS: readonly TestServer[] = ['redis7', 'valkey9', 'redis8'];

const SERVERS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.servers');

/**
 * The binary that runs `server`: the system's `redis-server` for redis7, the wrappers that
 * `scripts/servers.sh` writes under `.servers/` for the others (npm test's pretest runs it).
 * Throws when they are missing, naming the script.
 */
export function serverBinary(server: TestServer): string {
  if (server === 'redis7') return 'redis-server';
  const path = join(SERVERS_DIR, server === 'valkey9' ? 'valkey-server' : 'redis-server');
  if (!existsSync(path)) throw new Error(`${path} is missing: run bash scripts/servers.sh first`);
  return path;
}

// Ports below Linux's ephemeral range (32768+) so outgoing connections never hold them; the cluster
// bus port (port + 10000) lands in 20000..32767 as well.
const PORT_MIN = 10_000;
const PORT_MAX = 22_767;
const BUS_OFFSET = 10_000;
const START_ATTEMPTS = 8;
const READY_TIMEOUT_MS = 10_000;

/** Ports handed out by this process and not yet released, so concurrent callers never pick the same one. */
const reservedPorts = new Set<number>();
/**
 * Ports ever handed out by this process. They are never handed out again: a test's service may
 * still remember an address of a stopped node (as the product rightly does), so a new node on the
 * same address would look like a node already in use.
 */
const handedOut = new Set<number>();

/**
 * Starts `count` real `redis-server` processes on free ports (never 6379), each in its own temp
 * directory, in parallel, and resolves once each one answers PING.
 *
 * @example
 *   const set = await startRedisNodes(6);
 *   try { ...set.nodes[0].address... } finally { await set.stop(); }
 */
export async function startRedisNodes(count: number, opts: StartRedisNodesOptions = {}): Promise<RedisNodeSet> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => startOneNode(opts)));
  const running = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(running.map((n) => n.stop()));
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const find = (node: RedisNode): RunningNode => {
    const found = running.find((n) => n.node.port === node.port);
    if (!found) throw new Error(`${node.address} is not part of this set`);
    return found;
  };
  return {
    nodes: running.map((n) => n.node),
    stop,
    kill: (node) => find(node).kill(),
    restart: (node, restartOpts = {}) => find(node).restart(restartOpts.freshIdentity ?? false),
  };
}

interface RunningNode {
  readonly node: RedisNode;
  stop(): Promise<void>;
  kill(): Promise<void>;
  restart(freshIdentity: boolean): Promise<void>;
}

async function startOneNode(opts: StartRedisNodesOptions): Promise<RunningNode> {
  let lastError: unknown;
  // Another process can take a port between our bind test and redis-server's bind; then redis exits
  // at once and we retry on other ports.
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await reserveFreePort();
    const dir = await mkdtemp(join(tmpdir(), `slotsmith-redis-${port}-`));
    try {
      return await launch(port, dir, opts);
    } catch (err) {
      lastError = err;
      releasePort(port);
      await rm(dir, { recursive: true, force: true });
    }
  }
  throw new Error(`could not start redis-server after ${START_ATTEMPTS} attempts`, { cause: lastError });
}

async function launch(port: number, dir: string, opts: StartRedisNodesOptions): Promise<RunningNode> {
  let proc = await spawnNode(port, dir, opts);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await proc.kill();
      releasePort(port);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  return {
    node: { host: '127.0.0.1', port, address: `127.0.0.1:${port}`, dir },
    stop,
    kill: () => proc.kill(),
    async restart(freshIdentity) {
      await proc.kill();
      if (freshIdentity) await rm(join(dir, 'nodes.conf'), { force: true });
      proc = await spawnNode(port, dir, opts);
    },
  };
}

/** One redis-server process on `port`, answering PING; `kill` ends it with SIGKILL and waits. */
async function spawnNode(port: number, dir: string, opts: StartRedisNodesOptions): Promise<{ kill(): Promise<void> }> {
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--daemonize', 'no',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--logfile', join(dir, 'redis.log'),
  ];
  if (opts.clusterEnabled ?? true) {
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf');
  }
  if (opts.password !== undefined) {
    args.push('--requirepass', opts.password, ...(opts.omitMasterauth ? [] : ['--masterauth', opts.password]));
  }
  for (const [key, value] of Object.entries(opts.extraConfig ?? {})) args.push(`--${key}`, value);

  const child = spawn(serverBinary(opts.server ?? 'redis7'), args, { cwd: dir, stdio: 'ignore' });
  killOnExit(child);
  // 'error' without 'exit' happens when redis-server cannot be spawned at all (not on PATH).
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });

  const address = `127.0.0.1:${port}`;
  try {
    await waitForPong(port, opts.password, exited);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    const log = await readFile(join(dir, 'redis.log'), 'utf8').catch(() => '');
    throw new Error(`redis-server on ${address} did not start: ${(err as Error).message}\n${log.slice(-2000)}`);
  }

  return {
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls with a raw RESP PING (after AUTH when a password is set) until the node answers PONG. */
async function waitForPong(port: number, password: string | undefined, exited: Promise<void>): Promise<void> {
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (hasExited) throw new Error('process exited');
    if (await pingOnce(port, password)) return;
    if (Date.now() > deadline) throw new Error(`no PONG within ${READY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function pingOnce(port: number, password: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => {
      const auth = password === undefined ? '' : resp(['AUTH', password]);
      socket.write(auth + resp(['PING']));
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      // One simple-string or error line per command sent; decide once all have arrived.
      const replies = data.split('\r\n').slice(0, -1);
      if (replies.length >= (password === undefined ? 1 : 2)) done(replies.at(-1) === '+PONG');
    });
  });
}

function resp(parts: string[]): string {
  return `*${parts.length}\r\n` + parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('');
}

async function reserveFreePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN + 1));
    const bus = port + BUS_OFFSET;
    if (port === 6379 || handedOut.has(port) || reservedPorts.has(port) || reservedPorts.has(bus)) continue;
    if (!claimAcrossProcesses(port)) continue;
    reservedPorts.add(port);
    reservedPorts.add(bus);
    if ((await canBind(port)) && (await canBind(bus))) {
      handedOut.add(port);
      return port;
    }
    releasePort(port);
  }
  throw new Error('no free port pair found');
}

/** Where test processes running side by side mark the ports they handed out. */
const PORT_REGISTRY = join(tmpdir(), 'slotsmith-test-ports');
/** A mark older than this is from an earlier run and no longer counts. */
const REGISTRY_TTL_MS = 2 * 60 * 60 * 1000;

/**
 * Claims `port` for this process among every test process of the run (the suite runs files in
 * parallel): a port one file used is never handed to another, since a cluster of the first may
 * still gossip about its address. One file per port, created exclusively; stale ones are reused.
 */
function claimAcrossProcesses(port: number): boolean {
  mkdirSync(PORT_REGISTRY, { recursive: true });
  const mark = join(PORT_REGISTRY, String(port));
  try {
    closeSync(openSync(mark, 'wx'));
    return true;
  } catch {
    try {
      if (Date.now() - statSync(mark).mtimeMs < REGISTRY_TTL_MS) return false;
      unlinkSync(mark);
      closeSync(openSync(mark, 'wx'));
      return true;
    } catch {
      return false;
    }
  }
}

function releasePort(port: number): void {
  reservedPorts.delete(port);
  reservedPorts.delete(port + BUS_OFFSET);
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Runs `fn` with a client of one node (no reconnects, so a stopped node fails fast) and closes it.
 *
 * @example
 *   await withNodeClient(set.nodes[0], (c) => c.cluster('INFO'));
 */
export async function withNodeClient<T>(node: { host: string; port: number }, fn: (client: Redis) => Promise<T>, password?: string): Promise<T> {
  const client = new Redis({ host: node.host, port: node.port, lazyConnect: true, retryStrategy: () => null, ...(password ? { password } : {}) });
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}
