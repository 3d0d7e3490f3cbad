/**
 * Parses a dotted-quad IPv4 literal into its four octets, or null. Octets with leading zeros are
 * refused rather than normalised: `010` means 8 to inet_aton and WHATWG URLs but 10 to most people.
 *
 * @example
 *   parseIPv4('10.0.0.1') // [10, 0, 0, 1]
 */
export function parseIPv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const octets: number[] = [];
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    octets.push(octet);
  }
  return octets;
}

/**
 * Normalises an IPv6 literal (without brackets or zone id) to the RFC 5952 text form: lowercase,
 * no leading zeros, the longest run of two or more zero groups written as `::`, IPv4-mapped
 * addresses as `::ffff:a.b.c.d`. Returns null when the text is not an IPv6 address.
 *
 * @example
 *   normaliseIPv6('0:0:0:0:0:0:0:0001') // '::1'
 */
export function normaliseIPv6(text: string): string | null {
  const groups = parseIPv6Groups(text.toLowerCase());
  return groups === null ? null : formatIPv6Groups(groups);
}

function parseIPv6Groups(text: string): number[] | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const compressed = halves.length === 2;
  const head = parseGroupList(halves[0] ?? '', !compressed);
  const tail = compressed ? parseGroupList(halves[1] ?? '', true) : [];
  if (head === null || tail === null) return null;
  const given = head.length + tail.length;
  if (compressed ? given > 7 : given !== 8) return null;
  return [...head, ...new Array<number>(8 - given).fill(0), ...tail];
}

/** Groups of one side of `::`; only the last group of the address may be an embedded IPv4. */
function parseGroupList(text: string, mayEndWithIPv4: boolean): number[] | null {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (mayEndWithIPv4 && i === parts.length - 1 && part.includes('.')) {
      const octets = parseIPv4(part);
      if (octets === null) return null;
      const [a = 0, b = 0, c = 0, d = 0] = octets;
      groups.push((a << 8) | b, (c << 8) | d);
    } else if (/^[0-9a-f]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return null;
    }
  }
  return groups;
}

function formatIPv6Groups(groups: readonly number[]): string {
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const low = ((groups[6] ?? 0) << 16) | (groups[7] ?? 0);
    return `::ffff:${[24, 16, 8, 0].map((shift) => (low >>> shift) & 0xff).join('.')}`;
  }
  let bestStart = -1;
  let bestLength = 1; // RFC 5952: a single zero group is not compressed
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length++;
    if (length > bestLength) [bestStart, bestLength] = [start, length];
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
