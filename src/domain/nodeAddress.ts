import { DomainError } from './errors.ts';
import { normaliseIPv6, parseIPv4 } from './ipAddress.ts';

/** Highest port a cluster node may use: its cluster bus listens on port + 10000, at most 65535. */
export const MAX_NODE_PORT = 65535 - 10000;

/** A node address split into normalised host and port, or the reason it is not one. */
export type ParsedNodeAddress =
  | { readonly ok: true; readonly host: string; readonly port: number; readonly address: string }
  | { readonly ok: false; readonly reason: string };

const PORT_REASON =
  `port must be a number between 1 and ${MAX_NODE_PORT} (the cluster bus listens on port + 10000, at most 65535)`;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * Which addresses a parse accepts:
 * - `node` (the default): a node a user names to join a cluster, whose bus port (port + 10000)
 *   must fit, so the port is at most {@link MAX_NODE_PORT}; IPv6 only in brackets.
 * - `announced`: any address slotsmith connects to, including what a node announces in
 *   `CLUSTER NODES` (`::1:7000`, IPv6 without brackets, the last colon before the port) and ports
 *   up to 65535 (a node may set its bus port apart with `cluster-port`).
 */
export type AddressForm = 'node' | 'announced';

/**
 * Parses `host:port`, where host is an IPv4 literal, a DNS name (RFC 1123) or an IPv6 literal
 * (bracketed; bare too in the `announced` form). `address` is the normalised form (lowercase
 * host, canonical bracketed IPv6, no leading zeros in the port), so two spellings of one node
 * compare equal. The one `host:port` parser of slotsmith.
 *
 * @example
 *   parseNodeAddress('Redis-1.Example.com:07000') // { ok: true, host: 'redis-1.example.com', port: 7000, address: 'redis-1.example.com:7000' }
 *   parseNodeAddress('[0::1]:7000')               // { ok: true, host: '::1', port: 7000, address: '[::1]:7000' }
 *   parseNodeAddress('::1:7000', 'announced')     // { ok: true, host: '::1', port: 7000, address: '[::1]:7000' }
 *   parseNodeAddress('10.0.0.1')                  // { ok: false, reason: 'missing :port' }
 */
export function parseNodeAddress(text: string, form: AddressForm = 'node'): ParsedNodeAddress {
  if (text === '') return fail('address is empty');
  if (/\s/.test(text)) return fail('address must not contain spaces');
  const split = splitHostAndPort(text, form);
  if (typeof split === 'string') return fail(split);
  const host = split.bracketed || split.host.includes(':') ? parseIPv6Host(split.host) : parseNameOrIPv4Host(split.host);
  if (!host.ok) return host;
  const port = parsePort(split.port, form === 'node' ? MAX_NODE_PORT : 65535);
  if (port === null) return fail(split.port === '' ? "missing port after ':'" : form === 'node' ? PORT_REASON : 'port must be a number between 1 and 65535');
  return { ok: true, host: host.host, port, address: formatNodeAddress(host.host, port) };
}

/**
 * Like {@link parseNodeAddress} in the `announced` form, for addresses slotsmith is about to
 * connect to; throws a DomainError (`invalid`, `invalid_address`) naming the address and the reason.
 *
 * @example requireNodeAddress('10.0.0.5:7000') // { ok: true, host: '10.0.0.5', port: 7000, address: '10.0.0.5:7000' }
 */
export function requireNodeAddress(text: string): Extract<ParsedNodeAddress, { ok: true }> {
  const parsed = parseNodeAddress(text, 'announced');
  if (!parsed.ok) throw new DomainError('invalid', 'invalid_address', `invalid node address "${text}": ${parsed.reason}`);
  return parsed;
}

/**
 * Formats a host and port as a node address, bracketing IPv6 hosts. Pass a normalised host to get
 * the normalised address.
 *
 * @example
 *   formatNodeAddress('::1', 7000) // '[::1]:7000'
 */
export function formatNodeAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function splitHostAndPort(text: string, form: AddressForm): { host: string; port: string; bracketed: boolean } | string {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return "missing ']' after the IPv6 address";
    const rest = text.slice(close + 1);
    if (rest === '') return 'missing :port';
    if (!rest.startsWith(':')) return "expected ':port' after ']'";
    return { host: text.slice(1, close), port: rest.slice(1), bracketed: true };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return 'missing :port';
  if (text.indexOf(':') !== colon && form === 'node') return 'IPv6 addresses need brackets, like [::1]:7000';
  if (colon === 0) return 'missing host';
  return { host: text.slice(0, colon), port: text.slice(colon + 1), bracketed: false };
}

function parseIPv6Host(text: string): { ok: true; host: string } | { ok: false; reason: string } {
  if (text.includes('%')) return fail('IPv6 zone ids (%...) are not supported');
  const host = normaliseIPv6(text);
  return host === null ? fail(`${quote(text)} is not a valid IPv6 address`) : { ok: true, host };
}

function parseNameOrIPv4Host(text: string): { ok: true; host: string } | { ok: false; reason: string } {
  const host = text.toLowerCase();
  const labels = host.split('.');
  if (labels.every((label) => /^[0-9]+$/.test(label))) {
    return parseIPv4(host) === null
      ? fail(`${quote(text)} is not a valid IPv4 address (four numbers 0-255 without leading zeros)`)
      : { ok: true, host };
  }
  if (host.length > 253) return fail('host name is longer than 253 characters');
  for (const label of labels) {
    if (label === '') return fail(`host name ${quote(text)} has an empty label`);
    if (label.length > 63) return fail(`host name label ${quote(label)} is longer than 63 characters`);
    if (!DNS_LABEL.test(label)) {
      return fail(`host name ${quote(text)} may only contain letters, digits, '-' and '.', with no label starting or ending in '-'`);
    }
  }
  return { ok: true, host };
}

function parsePort(text: string, max: number): number | null {
  if (!/^[0-9]{1,10}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= max ? port : null;
}

/** Quotes user text for a reason, cut short so a huge input cannot make a huge error. */
function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 61)}...` : text);
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
