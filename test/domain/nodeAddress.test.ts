import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatNodeAddress, MAX_NODE_PORT, parseNodeAddress } from '../../src/domain/nodeAddress.ts';

const ports = fc.integer({ min: 1, max: MAX_NODE_PORT });
const ipv4 = fc.ipV4();
const hostNames = fc.domain();
const ipv6 = fc.ipV6();

/** The WHATWG URL parser as an independent judge of IPv6 literals (it serialises to canonical hex). */
function urlIPv6(host: string): string | null {
  try {
    return new URL(`http://[${host}]/`).hostname;
  } catch {
    return null;
  }
}

function randomCase(text: string, upper: readonly boolean[]): string {
  return [...text].map((c, i) => (upper[i % upper.length] ? c.toUpperCase() : c)).join('');
}

describe('parseNodeAddress examples', () => {
  const accepted: [string, string, string, number][] = [
    ['10.0.0.1:7000', '10.0.0.1:7000', '10.0.0.1', 7000],
    ['Redis-1.Example.COM:07000', 'redis-1.example.com:7000', 'redis-1.example.com', 7000],
    ['localhost:55535', 'localhost:55535', 'localhost', 55535],
    ['[0:0:0:0:0:0:0:1]:7000', '[::1]:7000', '::1', 7000],
    ['[2001:DB8::0:0001]:7001', '[2001:db8::1]:7001', '2001:db8::1', 7001],
    ['[2001:db8:0:0:1:0:0:1]:7000', '[2001:db8::1:0:0:1]:7000', '2001:db8::1:0:0:1', 7000],
    ['[::FFFF:10.0.0.1]:7000', '[::ffff:10.0.0.1]:7000', '::ffff:10.0.0.1', 7000],
    ['[1:0:2:3:4:5:6:7]:7000', '[1:0:2:3:4:5:6:7]:7000', '1:0:2:3:4:5:6:7', 7000],
  ];
  for (const [text, address, host, port] of accepted) {
    test(`accepts ${text}`, () => assert.deepEqual(parseNodeAddress(text), { ok: true, host, port, address }));
  }

  const refused: [string, RegExp][] = [
    ['', /empty/],
    ['10.0.0.1', /^missing :port$/],
    ['10.0.0.1:', /missing port/],
    [':7000', /missing host/],
    ['10.0.0.1:0', /^port must be a number between 1 and 55535/],
    ['10.0.0.1:55536', /port \+ 10000/],
    ['10.0.0.1:65535', /between 1 and 55535/],
    ['10.0.0.1:70x', /between 1 and 55535/],
    ['10.0.0.1:-1', /between 1 and 55535/],
    ['::1:7000', /brackets/],
    ['[::1]', /^missing :port$/],
    ['[::1', /missing '\]'/],
    ['[::1]7000', /expected ':port'/],
    ['[1::2::3]:7000', /not a valid IPv6/],
    ['[::1:2:3:4:5:6:7:8]:7000', /not a valid IPv6/],
    ['[fe80::1%eth0]:7000', /zone/],
    ['[redis.local]:7000', /not a valid IPv6/],
    ['256.0.0.1:7000', /not a valid IPv4/],
    ['010.0.0.1:7000', /leading zeros/],
    ['10.0.0:7000', /not a valid IPv4/],
    ['redis_1:7000', /may only contain/],
    ['-redis:7000', /may only contain/],
    ['redis-.local:7000', /may only contain/],
    ['redis..local:7000', /empty label/],
    ['redis.local.:7000', /empty label/],
    [`${'a'.repeat(64)}.local:7000`, /longer than 63/],
    [`${'abcdefgh.'.repeat(29)}io:7000`, /longer than 253/],
    [' 10.0.0.1:7000', /spaces/],
  ];
  for (const [text, reason] of refused) {
    test(`refuses ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text)}`, () => {
      const parsed = parseNodeAddress(text);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.reason, reason);
    });
  }

  test('formatNodeAddress brackets IPv6 hosts only', () => {
    assert.equal(formatNodeAddress('::1', 7000), '[::1]:7000');
    assert.equal(formatNodeAddress('10.0.0.1', 7000), '10.0.0.1:7000');
  });
});

describe('parseNodeAddress properties', () => {
  test('IPv4 and DNS addresses round-trip, whatever the case of the host and zeros before the port', () => {
    const spellings = fc.tuple(fc.oneof(ipv4, hostNames), ports, fc.array(fc.boolean(), { minLength: 1 }), fc.nat(3));
    fc.assert(fc.property(spellings, ([host, port, upper, zeros]) => {
      const parsed = parseNodeAddress(`${randomCase(host, upper)}:${'0'.repeat(zeros)}${port}`);
      assert.deepEqual(parsed, { ok: true, host, port, address: formatNodeAddress(host, port) });
      assert.deepEqual(parseNodeAddress(parsed.ok ? parsed.address : ''), parsed);
    }));
  });

  test('IPv6 addresses normalise to the same address the URL parser sees, in RFC 5952 form', () => {
    fc.assert(fc.property(ipv6, ports, fc.array(fc.boolean(), { minLength: 1 }), (host, port, upper) => {
      const parsed = parseNodeAddress(`[${randomCase(host, upper)}]:${port}`);
      assert.ok(parsed.ok, `${host}: ${parsed.ok ? '' : parsed.reason}`);
      assert.equal(urlIPv6(parsed.host), urlIPv6(host));
      // Canonical hex, except IPv4-mapped addresses, which RFC 5952 writes with a dotted quad.
      if (!parsed.host.startsWith('::ffff:') || !parsed.host.includes('.')) assert.equal(`[${parsed.host}]`, urlIPv6(host));
      assert.equal(parsed.address, `[${parsed.host}]:${port}`);
      assert.deepEqual(parseNodeAddress(parsed.address), parsed);
    }));
  });

  test('ports outside 1..55535 are refused with the port reason', () => {
    const badPorts = fc.oneof(fc.integer({ min: MAX_NODE_PORT + 1, max: 10 ** 9 }), fc.constant(0));
    fc.assert(fc.property(fc.oneof(ipv4, hostNames), badPorts, (host, port) => {
      const parsed = parseNodeAddress(`${host}:${port}`);
      assert.ok(!parsed.ok && parsed.reason.startsWith('port must be a number between 1 and 55535'));
    }));
  });

  test('a valid address with a stray character in it is refused with a reason', () => {
    const stray = fc.constantFrom(' ', '_', '/', '@', '#', '%', '*', ',', '!', '\t', 'é');
    fc.assert(fc.property(fc.oneof(ipv4, hostNames), ports, stray, fc.nat(), (host, port, char, at) => {
      const text = `${host}:${port}`;
      const position = at % (text.length + 1);
      const parsed = parseNodeAddress(text.slice(0, position) + char + text.slice(position));
      assert.ok(!parsed.ok && parsed.reason.length > 0);
    }));
  });

  test('anything accepted is a real address and normalised; anything refused has a reason', () => {
    const garbage = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFxyz.:-[]%_ '), maxLength: 30 });
    fc.assert(fc.property(garbage, (text) => {
      const parsed = parseNodeAddress(text);
      if (!parsed.ok) return assert.ok(parsed.reason.length > 0);
      assert.ok(Number.isInteger(parsed.port) && parsed.port >= 1 && parsed.port <= MAX_NODE_PORT);
      assert.equal(parsed.address, formatNodeAddress(parsed.host, parsed.port));
      assert.deepEqual(parseNodeAddress(parsed.address), parsed);
      if (parsed.host.includes(':')) assert.ok(urlIPv6(parsed.host) !== null);
      else if (/^[0-9.]+$/.test(parsed.host)) assert.match(parsed.host, /^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.|$)){4}$/);
      else assert.match(parsed.host, /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/);
    }), { numRuns: 2000 });
  });
});
