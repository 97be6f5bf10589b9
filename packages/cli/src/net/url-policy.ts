/**
 * Which URLs the CLI will talk to (docs/CLI.md): https, or http to a loopback address only, and
 * URLs a server hands back must stay on the origin that was reached. Pure: no I/O.
 */

/** 127.0.0.0/8, ::1 (also IPv4-mapped 127/8) and `localhost`, as the URL parser spells hosts. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]') return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  // The WHATWG parser writes ::ffff:127.0.0.1 as [::ffff:7f00:1].
  return /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host);
}

export class URLPolicyError extends Error {
  override readonly name = 'URLPolicyError';
}

/**
 * A base URL the CLI may send a session to: absolute, https (http only on loopback), no
 * credentials, query or fragment. Returned without a trailing slash, so `${base}/path` is exact.
 */
export function normalizeBaseURL(raw: string, what = 'URL'): string {
  const missingScheme = suggestScheme(raw);
  if (missingScheme !== undefined) {
    throw new URLPolicyError(`${what} ${JSON.stringify(raw)} has no scheme: did you mean ${missingScheme}?`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new URLPolicyError(
      `${what} ${JSON.stringify(raw)} is not an absolute URL (e.g. https://pylon.example.com)`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new URLPolicyError(`${what} ${url.href} must use https`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new URLPolicyError(
      `${what} ${url.href} must use https (plain http is allowed only for loopback addresses)`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new URLPolicyError(`${what} must not carry credentials`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new URLPolicyError(`${what} ${url.href} must not carry a query or fragment`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * `host:port` typed without a scheme. The URL parser reads `localhost:4000` as the scheme
 * `localhost:` and refuses `127.0.0.1:4000`, so neither error would say what is missing.
 * Returns what the person probably meant: https, or also http for a loopback host.
 */
function suggestScheme(raw: string): string | undefined {
  const trimmed = raw.trim();
  if (trimmed.includes('://')) return undefined;
  const match = /^([a-z0-9.-]+|\[[0-9a-f:.]+\]):(\d{1,5})(\/.*)?$/i.exec(trimmed);
  if (!match) return undefined;
  return isLoopbackHost(match[1]!) ? `http://${trimmed} or https://${trimmed}` : `https://${trimmed}`;
}

/**
 * The names one machine answers to for itself, as the URL parser writes them. Only these three:
 * another 127/8 address can be another process, so it stays another host.
 */
const SAME_LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether two URLs share an origin, with `localhost`, `127.0.0.1` and `[::1]` one host (scheme and
 * port must still match): a server whose public URL says `localhost` is reached as `127.0.0.1`,
 * and its answers name `localhost`. The SDK compares issuers the same way.
 */
export function isSameOrigin(a: string, b: string): boolean {
  try {
    const first = new URL(a);
    const second = new URL(b);
    if (first.origin === second.origin) return true;
    return (
      first.protocol === second.protocol &&
      first.port === second.port &&
      SAME_LOOPBACK.has(first.hostname) &&
      SAME_LOOPBACK.has(second.hostname)
    );
  } catch {
    return false;
  }
}

/** `base` + `path` (which starts with `/`), with an optional query. */
export function joinURL(base: string, path: string, query?: Record<string, string | undefined>): string {
  const url = new URL(`${base.replace(/\/+$/, '')}${path}`);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return url.href;
}
