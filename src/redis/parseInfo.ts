/**
 * Parses `INFO` / `CLUSTER INFO` text (`key:value` lines, `# Section` headers) into a map.
 *
 * @example parseInfo('cluster_state:ok\r\n').get('cluster_state') // 'ok'
 */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}
