import { isLoopbackHost } from '../../config/config.js';

/** RFC 8252 §7.3: a native app listens on a loopback IP literal, on a port chosen at run time. */
function isLoopbackLiteral(url: URL): boolean {
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === '[::1]');
}

/**
 * Whether a redirect URI may be registered: absolute, no fragment (RFC 6749 §3.1.2), https or
 * http on a loopback host (RFC 8252 §7.3, §8.3). Returned normalised.
 */
export function checkRedirectURI(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.hash !== '' || value.includes('#') || url.username !== '' || url.password !== '') return null;
  if (url.protocol === 'https:') return value;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return value;
  return null;
}

/**
 * Whether a presented redirect URI is one of the registered ones: compared as exact strings
 * (RFC 9700 §4.1.3), except that a loopback IP literal's port may differ (RFC 8252 §7.3).
 */
export function redirectURIMatches(registered: readonly string[], presented: string): boolean {
  if (registered.includes(presented)) return true;
  let wanted: URL;
  try {
    wanted = new URL(presented);
  } catch {
    return false;
  }
  if (!isLoopbackLiteral(wanted) || wanted.hash !== '') return false;
  return registered.some((candidate) => {
    let url: URL;
    try {
      url = new URL(candidate);
    } catch {
      return false;
    }
    if (!isLoopbackLiteral(url)) return false;
    url.port = wanted.port;
    return url.toString() === wanted.toString();
  });
}
