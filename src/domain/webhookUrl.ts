/**
 * Checks a webhook's destination: an absolute `http:` or `https:` URL without credentials, whose
 * host is allowed by `allowedHosts` (`WEBHOOK_ALLOWED_HOSTS`): null allows any host; otherwise an
 * entry is a host name or IP matched exactly (case-insensitive), or `*.example.com` for any
 * subdomain of example.com. Returns the reason it is refused, or null when it is fine.
 */
export function webhookUrlProblem(url: string, allowedHosts: readonly string[] | null): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `must use http or https, not ${parsed.protocol.replace(/:$/, '')}`;
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry a user name or password';
  if (allowedHosts === null) return null;
  const host = parsed.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const allowed = allowedHosts.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith('*.') ? host.endsWith(e.slice(1)) && host.length > e.length - 1 : host === e;
  });
  return allowed ? null : `host "${host}" is not in WEBHOOK_ALLOWED_HOSTS`;
}
