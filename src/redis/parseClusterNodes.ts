import { DomainError } from '../domain/errors.ts';
import type { ObservedNode, OpenSlot } from '../domain/observedTopology.ts';
import { MAX_SLOT, type SlotRange } from '../domain/slotRange.ts';

const NODE_ID = /^[0-9a-f]{40}$/;
const SLOT_RANGE = /^(\d+)(?:-(\d+))?$/;
// `[slot->-id]` the node is migrating the slot to id; `[slot-<-id]` it is importing it from id.
const OPEN_SLOT = /^\[(\d+)(->-|-<-)([0-9a-f]{40})\]$/;
/** Flags that ObservedNode expresses as fields (`myself`, `role`), or that mean "none". */
const STRUCTURAL_FLAGS = new Set(['myself', 'master', 'slave', 'noflags']);

/**
 * Parses `CLUSTER NODES` output (Redis 7 format) into one {@link ObservedNode} per line:
 *
 *   `<id> <ip:port@cport[,hostname[,aux=value...]]> <flags> <master|-> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>...`
 *
 * Flags are returned without `myself`/`master`/`slave`/`noflags`, and `fail?` becomes `pfail`.
 * A node that does not know its own IP yet (never met anyone) reports `:port`, kept as is.
 * Throws a DomainError (`internal`, `cluster_nodes_unparseable`) naming the line on malformed input.
 *
 * @example parseClusterNodes(await client.call('CLUSTER', 'NODES') as string)
 */
export function parseClusterNodes(text: string): ObservedNode[] {
  const nodes: ObservedNode[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    try {
      nodes.push(parseLine(line));
    } catch (err) {
      throw new DomainError(
        'internal',
        'cluster_nodes_unparseable',
        `cannot parse CLUSTER NODES line ${i + 1} ("${line}"): ${(err as Error).message}`,
        [],
        { cause: err },
      );
    }
  }
  return nodes;
}

function parseLine(line: string): ObservedNode {
  const fields = line.split(' ');
  if (fields.length < 8) throw new Error(`expected at least 8 fields, got ${fields.length}`);
  const [id, addressField, flagField, masterField, pingSent, pongRecv, epochField, linkField] = fields as [
    string, string, string, string, string, string, string, string,
  ];
  if (!NODE_ID.test(id)) throw new Error(`bad node id "${id}"`);

  const { address, busPort, hostname } = parseAddressField(addressField);

  const rawFlags = flagField.split(',');
  const flags = rawFlags.filter((f) => !STRUCTURAL_FLAGS.has(f)).map((f) => (f === 'fail?' ? 'pfail' : f));

  let masterId: string | null = null;
  if (masterField !== '-') {
    if (!NODE_ID.test(masterField)) throw new Error(`bad master id "${masterField}"`);
    masterId = masterField;
  }
  if (!isNonNegativeInteger(pingSent) || !isNonNegativeInteger(pongRecv)) {
    throw new Error(`bad ping/pong times "${pingSent} ${pongRecv}"`);
  }
  if (!isNonNegativeInteger(epochField)) throw new Error(`bad config epoch "${epochField}"`);
  if (linkField !== 'connected' && linkField !== 'disconnected') throw new Error(`bad link state "${linkField}"`);

  const slots: SlotRange[] = [];
  const migrating: OpenSlot[] = [];
  const importing: OpenSlot[] = [];
  for (const field of fields.slice(8)) {
    if (field === '') continue;
    const open = OPEN_SLOT.exec(field);
    if (open) {
      const slot = toSlot(open[1] as string);
      (open[2] === '->-' ? migrating : importing).push({ slot, nodeId: open[3] as string });
      continue;
    }
    const range = SLOT_RANGE.exec(field);
    if (!range) throw new Error(`bad slot field "${field}"`);
    const start = toSlot(range[1] as string);
    const end = range[2] === undefined ? start : toSlot(range[2]);
    if (end < start) throw new Error(`bad slot range "${field}"`);
    slots.push([start, end]);
  }

  return {
    id,
    address,
    busPort,
    hostname,
    role: rawFlags.includes('slave') ? 'replica' : 'master',
    masterId,
    flags,
    myself: rawFlags.includes('myself'),
    linkState: linkField,
    configEpoch: Number(epochField),
    slots,
    migrating,
    importing,
  };
}

function parseAddressField(field: string): { address: string; busPort: number; hostname: string | null } {
  const at = field.indexOf('@');
  if (at < 0) throw new Error(`bad address "${field}": no @cport`);
  const hostPort = field.slice(0, at);
  const colon = hostPort.lastIndexOf(':');
  const port = hostPort.slice(colon + 1);
  if (colon < 0 || !isNonNegativeInteger(port)) throw new Error(`bad address "${field}"`);
  // Redis 7.0: `cport[,hostname]`; 7.2+ appends `,key=value` auxiliary fields.
  const [busPortText = '', hostnameText] = field.slice(at + 1).split(',');
  if (!isNonNegativeInteger(busPortText)) throw new Error(`bad bus port in "${field}"`);
  const hostname = hostnameText === undefined || hostnameText === '' || hostnameText.includes('=') ? null : hostnameText;
  return { address: hostPort, busPort: Number(busPortText), hostname };
}

function toSlot(text: string): number {
  const slot = Number(text);
  if (slot > MAX_SLOT) throw new Error(`slot ${text} out of range`);
  return slot;
}

function isNonNegativeInteger(text: string): boolean {
  return /^\d+$/.test(text);
}
