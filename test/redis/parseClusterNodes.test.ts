import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DomainError } from '../../src/domain/errors.ts';
import { parseClusterNodes } from '../../src/redis/parseClusterNodes.ts';

// Captured from real redis-server 7.0.15 nodes (see the report for how).
const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', `cluster-nodes-${name}.txt`), 'utf8');

describe('parseClusterNodes on captured output', () => {
  test('a fresh node knows only itself and does not know its own IP yet', () => {
    const [node, ...rest] = parseClusterNodes(fixture('fresh'));
    assert.equal(rest.length, 0);
    assert.deepEqual(node, {
      id: 'ecf07453c680955cefe88a2091c86d376d5af9a0',
      address: ':16530',
      busPort: 26530,
      hostname: null,
      role: 'master',
      masterId: null,
      flags: [],
      myself: true,
      linkState: 'connected',
      configEpoch: 0,
      slots: [],
      migrating: [],
      importing: [],
    });
  });

  test('announced hostname after the bus port', () => {
    const [node] = parseClusterNodes(fixture('fresh-hostname'));
    assert.equal(node?.hostname, 'node-a.example');
    assert.equal(node?.busPort, 26530);
  });

  test('six-node cluster with an importing slot: roles, masters, epochs, slots', () => {
    const nodes = parseClusterNodes(fixture('importing'));
    assert.equal(nodes.length, 6);
    assert.equal(nodes.filter((n) => n.role === 'master').length, 3);
    const me = nodes.find((n) => n.myself);
    assert.equal(me?.address, '127.0.0.1:16530');
    assert.equal(me?.hostname, 'node-a.example');
    assert.deepEqual(me?.slots, [[0, 5460]]);
    assert.deepEqual(me?.importing, [{ slot: 5461, nodeId: 'a50ae1af52d22c32c6e4748ecf8da5d9d7f0694f' }]);
    assert.deepEqual(me?.migrating, []);
    const replica = nodes.find((n) => n.id === 'd7e4577285318c99cad2d61ab21db796b922f0ab');
    assert.equal(replica?.role, 'replica');
    assert.equal(replica?.masterId, 'ecf07453c680955cefe88a2091c86d376d5af9a0');
    assert.deepEqual(replica?.slots, []);
    const third = nodes.find((n) => n.id === '7cc75eb255928b397eae59e886d6f0e5e4ac089e');
    assert.deepEqual(third?.slots, [[10923, 16383]]);
    assert.equal(third?.configEpoch, 3);
  });

  test('migrating and importing markers on the source', () => {
    const me = parseClusterNodes(fixture('migrating')).find((n) => n.myself);
    assert.deepEqual(me?.slots, [[5461, 10922]]);
    assert.deepEqual(me?.migrating, [{ slot: 5461, nodeId: 'ecf07453c680955cefe88a2091c86d376d5af9a0' }]);
    assert.deepEqual(me?.importing, [{ slot: 100, nodeId: 'ecf07453c680955cefe88a2091c86d376d5af9a0' }]);
  });

  test('handshake nodes are disconnected, have the handshake flag and no role flag', () => {
    const handshakes = parseClusterNodes(fixture('handshake')).filter((n) => n.flags.includes('handshake'));
    assert.equal(handshakes.length, 2);
    for (const n of handshakes) {
      assert.equal(n.linkState, 'disconnected');
      assert.equal(n.masterId, null);
      assert.equal(n.configEpoch, 0);
    }
    assert.deepEqual(handshakes.map((n) => [n.address, n.busPort]).sort(), [
      ['127.0.0.1:1', 10001],
      ['127.0.0.1:10068', 20068],
    ]);
  });

  test('fail and fail? (as pfail) flags', () => {
    const failed = parseClusterNodes(fixture('fail')).find((n) => n.id === 'd7e4577285318c99cad2d61ab21db796b922f0ab');
    assert.deepEqual(failed?.flags, ['fail']);
    assert.equal(failed?.role, 'replica');
    const suspect = parseClusterNodes(fixture('pfail')).find((n) => n.id === 'b14209ffe8bf87ef73be6e32cc3e21a0f84bc5c4');
    assert.deepEqual(suspect?.flags, ['pfail']);
    assert.equal(suspect?.role, 'master');
  });
});

describe('parseClusterNodes on other formats and bad input', () => {
  test('Redis 7.2+ auxiliary fields after the hostname are ignored (documented format, not captured here)', () => {
    const line =
      '07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,,tls-port=0,shard-id=69bc slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected\n';
    const [node] = parseClusterNodes(line);
    assert.equal(node?.hostname, null);
    assert.equal(node?.busPort, 31004);
    assert.equal(node?.role, 'replica');
  });

  test('malformed lines throw a DomainError naming the line', () => {
    for (const bad of [
      'nonsense',
      'ecf07453c680955cefe88a2091c86d376d5af9a0 127.0.0.1:7000 master - 0 0 0 connected',
      'ecf07453c680955cefe88a2091c86d376d5af9a0 127.0.0.1:7000@17000 master - 0 0 0 connected 16384',
      'ecf07453c680955cefe88a2091c86d376d5af9a0 127.0.0.1:7000@17000 master - 0 0 0 connected 10-5',
      'ecf07453c680955cefe88a2091c86d376d5af9a0 127.0.0.1:7000@17000 master - 0 0 0 linked',
    ]) {
      assert.throws(
        () => parseClusterNodes(`${bad}\n`),
        (err: unknown) => err instanceof DomainError && err.code === 'cluster_nodes_unparseable' && err.message.includes('line 1'),
        bad,
      );
    }
  });
});

describe('parseClusterNodes properties', () => {
  const hexId = fc.stringMatching(/^[0-9a-f]{40}$/);
  const slot = fc.integer({ min: 0, max: 16383 });
  const range = fc.tuple(slot, slot).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
  const node = fc.record({
    id: hexId,
    ip: fc.ipV4(),
    port: fc.integer({ min: 1, max: 55535 }),
    hostname: fc.option(fc.stringMatching(/^[a-z][a-z0-9.-]{0,20}$/), { nil: null }),
    myself: fc.boolean(),
    masterId: fc.option(hexId, { nil: null }),
    extraFlags: fc.subarray(['fail', 'fail?', 'handshake', 'noaddr', 'nofailover']),
    epoch: fc.nat(),
    connected: fc.boolean(),
    slots: fc.array(range, { maxLength: 5 }),
    migrating: fc.array(fc.tuple(slot, hexId), { maxLength: 2 }),
    importing: fc.array(fc.tuple(slot, hexId), { maxLength: 2 }),
  });

  test('formatting a node as Redis does and parsing it back gives the same node', () => {
    fc.assert(
      fc.property(node, (n) => {
        const flags = [...(n.myself ? ['myself'] : []), n.masterId ? 'slave' : 'master', ...n.extraFlags];
        const slotFields = [
          ...n.slots.map(([s, e]) => (s === e ? `${s}` : `${s}-${e}`)),
          ...n.migrating.map(([s, id]) => `[${s}->-${id}]`),
          ...n.importing.map(([s, id]) => `[${s}-<-${id}]`),
        ];
        const line = [
          n.id,
          `${n.ip}:${n.port}@${n.port + 10000}${n.hostname ? `,${n.hostname}` : ''}`,
          flags.join(','),
          n.masterId ?? '-',
          '0',
          '1795647745000',
          String(n.epoch),
          n.connected ? 'connected' : 'disconnected',
          ...slotFields,
        ].join(' ');
        const [parsed] = parseClusterNodes(`${line}\n`);
        assert.deepEqual(parsed, {
          id: n.id,
          address: `${n.ip}:${n.port}`,
          busPort: n.port + 10000,
          hostname: n.hostname,
          role: n.masterId ? 'replica' : 'master',
          masterId: n.masterId,
          flags: n.extraFlags.map((f) => (f === 'fail?' ? 'pfail' : f)),
          myself: n.myself,
          linkState: n.connected ? 'connected' : 'disconnected',
          configEpoch: n.epoch,
          slots: n.slots,
          migrating: n.migrating.map(([s, nodeId]) => ({ slot: s, nodeId })),
          importing: n.importing.map(([s, nodeId]) => ({ slot: s, nodeId })),
        });
      }),
    );
  });
});
