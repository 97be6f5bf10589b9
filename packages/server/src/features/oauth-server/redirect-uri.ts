import { isLoopbackHost } from '../../config/config.js';

/** RFC 8252 §7.3: a native app listens on a loopback IP literal, on a port chosen at run time. */
function isLoopbackLiteral(url: URL): boolean {
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === '[::1]');
}

export type RedirectURICheck = { ok: true; uri: string } | { ok: false; reason: string };

/** Whitespace and control characters: the URL parser drops or re-encodes them silently. */
const INVISIBLE = /[\s\p{Cc}]/u;

/**
 * Whether a redirect URI may be registered: absolute, no fragment (RFC 6749 §3.1.2), https or
 * http on a loopback host (RFC 8252 §7.3, §8.3), and already in the URL parser's normal form, so
 * the string stored, shown and compared exactly (RFC 9700 §4.1.3) is the URL a browser goes to:
 * `HTTP://…`, `http:/host`, `http://0x7f000001/` or a URI with a tab or a line break are refused,
 * naming the form to send instead. The one difference allowed is an empty path (`https://app.example`,
 * whose normal form ends in `/`): it names the same URL (RFC 3986 §6.2.3). Whitespace and control
 * characters are refused without a suggestion: the form the parser makes of them
 * (`https://goo\tgle.com` → `https://google.com`) is not what the sender meant.
 */
export function checkRedirectURI(value: string): RedirectURICheck {
  if (INVISIBLE.test(value))
    return { ok: false, reason: 'a redirect URI may not contain whitespace or control characters' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'a redirect URI must be an absolute URL' };
  }
  if (url.hash !== '' || value.includes('#'))
    return { ok: false, reason: 'a redirect URI may not have a fragment' };
  if (url.username !== '' || url.password !== '')
    return { ok: false, reason: 'a redirect URI may not carry a user name or password' };
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname)))
    return { ok: false, reason: 'a redirect URI must be https, or http on a loopback host' };
  if (url.href !== value && url.href !== `${value}/`)
    return {
      ok: false,
      reason: `redirect URI ${JSON.stringify(value)} is not in normal form: send ${url.href}`,
    };
  return { ok: true, uri: value };
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
