import { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.ts';
import type { NodeAuth } from './nodeAuth.ts';
import { requireNodeAddress } from '../domain/nodeAddress.ts';

/** How long connecting (TCP, AUTH and ready check together) may take unless the caller says otherwise. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
/**
 * How long one command may take unless the caller says otherwise. Callers that run long MIGRATE
 * batches must pass a larger value (it applies to every command on the connection).
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

/** Per-connection limits; both default to the constants above. */
export interface ConnectOptions {
  readonly connectTimeoutMs?: number;
  readonly commandTimeoutMs?: number;
}

/** Why a connection could not be made. */
export type ConnectFailure = 'refused' | 'timeout' | 'auth_failed' | 'protected_mode' | 'unreachable';

/**
 * A node could not be connected to. `reason` is machine-readable; `detail` is the underlying
 * message (never contains the password).
 */
export class NodeConnectError extends DomainError {
  constructor(
    readonly address: string,
    readonly reason: ConnectFailure,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      reason === 'auth_failed' ? 'precondition' : 'unavailable',
      reason === 'auth_failed' ? 'node_auth_failed' : 'node_unreachable',
      `cannot connect to ${address}: ${describe(reason)} (${detail})`,
      [],
      options,
    );
  }
}

function describe(reason: ConnectFailure): string {
  switch (reason) {
    case 'refused':
      return 'connection refused';
    case 'timeout':
      return 'timed out';
    case 'auth_failed':
      return 'authentication failed';
    case 'protected_mode':
      return 'the node is in protected mode and refuses clients from other hosts (give it a password, or set protected-mode no)';
    case 'unreachable':
      return 'unreachable';
  }
}

function classify(message: string): ConnectFailure {
  if (/protected mode/i.test(message)) return 'protected_mode';
  if (/ECONNREFUSED/.test(message)) return 'refused';
  if (/ETIMEDOUT|timed out/i.test(message)) return 'timeout';
  if (/WRONGPASS|NOAUTH|invalid password|AUTH/i.test(message)) return 'auth_failed';
  return 'unreachable';
}

/**
 * Opens one connection to `host:port` and resolves once it is ready (authenticated, ready check
 * passed), or throws a {@link NodeConnectError} naming the address and the reason.
 *
 * The client never reconnects by itself (a control plane wants to see a dead node, not wait for
 * it), never queues commands while offline, and fails a command after `commandTimeoutMs`.
 *
 * @example
 *   const client = await connectNode('10.0.0.5:7000', { password: 's3cret' });
 */
export async function connectNode(address: string, auth?: NodeAuth, opts: ConnectOptions = {}): Promise<Redis> {
  const { host, port } = requireNodeAddress(address);
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const client = new Redis({
    host,
    port,
    ...(auth?.username !== undefined ? { username: auth.username } : {}),
    ...(auth?.password !== undefined ? { password: auth.password } : {}),
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    commandTimeout: opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectionName: 'slotsmith',
  });
  // ioredis reports the real reason only as an 'error' event; connect() itself rejects with
  // "Connection is closed". Keeping a listener also stops ioredis from logging unhandled errors later.
  let lastError: Error | undefined;
  client.on('error', (err: Error) => {
    lastError = err;
  });

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), connectTimeoutMs);
  });
  try {
    const outcome = await Promise.race([client.connect().then(() => 'ready' as const), timedOut]);
    if (outcome === 'timeout') {
      throw new NodeConnectError(address, 'timeout', `not ready after ${connectTimeoutMs} ms`);
    }
    return client;
  } catch (err) {
    client.disconnect();
    if (err instanceof NodeConnectError) throw err;
    const detail = lastError?.message ?? (err instanceof Error ? err.message : String(err));
    throw new NodeConnectError(address, classify(detail), detail, { cause: lastError ?? err });
  } finally {
    clearTimeout(timer);
  }
}
