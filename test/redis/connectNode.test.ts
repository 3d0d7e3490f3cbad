import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connectNode, NodeConnectError } from '../../src/redis/connectNode.ts';
import { ConnectionPool } from '../../src/redis/connectionPool.ts';
import { NodeConnections } from '../../src/redis/nodeConnections.ts';
import { startRedisNodes, type RedisNodeSet } from '../helpers/redisNodes.ts';

function isConnectError(reason: NodeConnectError['reason'], address: string) {
  return (err: unknown): boolean =>
    err instanceof NodeConnectError && err.reason === reason && err.address === address && err.message.includes(address);
}

describe('connectNode', () => {
  let open: RedisNodeSet;
  let secured: RedisNodeSet;
  before(async () => {
    [open, secured] = await Promise.all([startRedisNodes(1), startRedisNodes(1, { password: 'pw-1' })]);
  });
  after(async () => {
    await Promise.all([open?.stop(), secured?.stop()]);
  });

  test('connects and answers commands', async () => {
    const client = await connectNode(open.nodes[0]!.address);
    try {
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.disconnect();
    }
  });

  test('connects with the right password', async () => {
    const client = await connectNode(secured.nodes[0]!.address, { password: 'pw-1' });
    try {
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.disconnect();
    }
  });

  test('wrong or missing password is reported as auth_failed, without the password', async () => {
    const address = secured.nodes[0]!.address;
    await assert.rejects(connectNode(address, { password: 'not-it' }), (err: unknown) => {
      assert.ok(isConnectError('auth_failed', address)(err));
      assert.match((err as Error).message, /WRONGPASS/);
      assert.doesNotMatch((err as Error).message, /not-it/);
      return true;
    });
    await assert.rejects(connectNode(address), isConnectError('auth_failed', address));
  });

  test('a closed port is reported as refused', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    const address = `127.0.0.1:${port}`;
    await assert.rejects(connectNode(address), (err: unknown) => {
      assert.ok(isConnectError('refused', address)(err));
      assert.match((err as Error).message, /ECONNREFUSED/);
      return true;
    });
  });

  test('a server that accepts but never answers is reported as timeout', async () => {
    const sockets: import('node:net').Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const started = Date.now();
      await assert.rejects(connectNode(address, undefined, { connectTimeoutMs: 300 }), isConnectError('timeout', address));
      assert.ok(Date.now() - started < 3000, 'gave up near the connect timeout');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  test('a bad address is refused before connecting', async () => {
    await assert.rejects(connectNode('no-port-here'), /invalid node address/);
  });

  test('the client does not reconnect after the node goes away', async () => {
    const set = await startRedisNodes(1);
    const client = await connectNode(set.nodes[0]!.address);
    const ended = new Promise((r) => client.once('end', r));
    await set.stop();
    await ended;
    assert.equal(client.status, 'end');
    await assert.rejects(client.ping());
  });
});

describe('NodeConnections', () => {
  let set: RedisNodeSet;
  before(async () => {
    set = await startRedisNodes(2);
  });
  after(async () => {
    await set?.stop();
  });

  test('caches one client per address, replaces a closed one, closes all', async () => {
    const connections = new NodeConnections();
    const [a, b] = set.nodes.map((n) => n.address) as [string, string];
    try {
      const [first, again] = await Promise.all([connections.get(a), connections.get(a)]);
      assert.equal(first, again, 'concurrent gets share one connection');
      const other = await connections.get(b);
      assert.notEqual(first, other);

      const ended = new Promise((r) => first.once('end', r));
      first.disconnect();
      await ended;
      const replaced = await connections.get(a);
      assert.notEqual(replaced, first);
      assert.equal(await replaced.ping(), 'PONG');

      const all = await connections.getAll([a, b]);
      assert.deepEqual([...all.keys()], [a, b]);
      assert.equal(all.get(b), other);
    } finally {
      await connections.closeAll();
    }
    const closed = await connections.get(a);
    try {
      assert.equal(await closed.ping(), 'PONG', 'after closeAll a new connection is made');
    } finally {
      await connections.closeAll();
    }
  });

  test('a failed connect is not cached', async () => {
    const address = set.nodes[1]!.address;
    const probe = new NodeConnections();
    const pid = Number(/process_id:(\d+)/.exec(await (await probe.get(address)).info('server'))?.[1]);
    await probe.closeAll();
    const connections = new NodeConnections(undefined, { connectTimeoutMs: 300 });
    process.kill(pid, 'SIGSTOP');
    try {
      await assert.rejects(connections.get(address), isConnectError('timeout', address));
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    try {
      assert.equal(await (await connections.get(address)).ping(), 'PONG');
    } finally {
      await connections.closeAll();
    }
  });

  test('with a pool: closeAll gives ready connections back, the next user takes them, a closed one is not handed out', async () => {
    const pool = new ConnectionPool({ idleMs: 60_000 });
    const [a, b] = set.nodes.map((n) => n.address) as [string, string];
    const first = new NodeConnections(undefined, {}, pool);
    const clientA = await first.get(a);
    const clientB = await first.get(b);
    await first.closeAll();
    assert.equal(pool.size(), 2, 'both kept');
    assert.equal(clientA.status, 'ready');

    const second = new NodeConnections(undefined, {}, pool);
    assert.equal(await second.get(a), clientA, 'the idle connection is reused');
    assert.equal(pool.size(), 1, 'lent to one user at a time');
    const other = new NodeConnections(undefined, { commandTimeoutMs: 1234 }, pool);
    const withOtherTimeouts = await other.get(b);
    assert.notEqual(withOtherTimeouts, clientB, 'connections with other timeouts are kept apart');
    await other.closeAll();

    const ended = new Promise((r) => clientB.once('end', r));
    clientB.disconnect();
    await ended;
    const fresh = await second.get(b);
    assert.notEqual(fresh, clientB, 'a connection that closed while idle is dropped');
    assert.equal(await fresh.ping(), 'PONG');
    await second.closeAll();
    const closedA = new Promise((r) => clientA.once('end', r));
    pool.closeAll();
    assert.equal(pool.size(), 0);
    await closedA; // closing the pool closes its connections
  });

  test('a pooled connection left idle is closed after the idle time', async () => {
    const pool = new ConnectionPool({ idleMs: 30 });
    const connections = new NodeConnections(undefined, {}, pool);
    const client = await connections.get(set.nodes[0]!.address);
    await connections.closeAll();
    assert.equal(pool.size(), 1);
    await new Promise((r) => client.once('end', r));
    assert.equal(pool.size(), 0);
  });
});
