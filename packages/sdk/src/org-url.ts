const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;
// The names one machine answers to for itself, as the URL parser writes them. Only these three:
// another 127/8 address can be another process, so it stays a different host.
const SAME_LOOPBACK = /^(localhost|127\.0\.0\.1|\[::1\])$/i;

/**
 * The org's `api_url` as Pylon writes it into `iss`: no trailing slash, no query or fragment. The
 * same string is the base of every RBAC route, so the issuer check and the requests agree.
 * https is required except on loopback (as the CLI requires), unless opted out.
 */
export function normalizeOrgURL(orgUrl: string, options: { allowInsecureHTTP?: boolean } = {}): string {
  let url: URL;
  try {
    url = new URL(orgUrl);
  } catch {
    throw new TypeError('orgUrl must be an absolute URL, e.g. https://pylon.example.com/o/acme');
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new TypeError('orgUrl must not carry a query, fragment or credentials');
  }
  const secure = url.protocol === 'https:';
  const loopbackHTTP = url.protocol === 'http:' && LOOPBACK.test(url.hostname);
  if (!secure && !loopbackHTTP && !(url.protocol === 'http:' && options.allowInsecureHTTP === true)) {
    throw new TypeError('orgUrl must use https (http is allowed on loopback, or with allowInsecureHTTP)');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The form two issuers are compared in: the string itself, except that `localhost`, `127.0.0.1`
 * and `[::1]` are one host (a server whose public URL says `localhost` is reached as 127.0.0.1).
 * Scheme, port and path must still match exactly. Pure string work: `iss` is not re-normalised,
 * so `…/o/acme/` stays a different issuer from `…/o/acme` (RFC 7519 §4.1.1 compares strings).
 */
export function canonicalIssuer(issuer: string): string {
  const match = /^(https?:\/\/)(\[[^\]]*\]|[^/:]+)(.*)$/i.exec(issuer);
  if (match === null || !SAME_LOOPBACK.test(match[2]!)) return issuer;
  return `${match[1]!.toLowerCase()}loopback${match[3]}`;
}

/** The same origin, loopback spellings treated as one host (RFC 6454 §5 otherwise). */
export function isSameOrigin(a: string, b: string): boolean {
  const [x, y] = [new URL(a), new URL(b)];
  const host = (url: URL) => (SAME_LOOPBACK.test(url.hostname) ? 'loopback' : url.hostname);
  return x.protocol === y.protocol && x.port === y.port && host(x) === host(y);
}

/**
 * Whether `issuer` is another org's `api_url` on the expected issuer's origin (`…/o/{other}`):
 * what any user's token from an org of their own carries, not a sign of a misconfigured client.
 */
export function namesAnotherOrg(issuer: string, expectedIssuer: string, orgId: string): boolean {
  let path: string;
  try {
    if (!isSameOrigin(issuer, expectedIssuer)) return false;
    path = new URL(issuer).pathname;
  } catch {
    return false;
  }
  const other = /^\/o\/([^/]+)/.exec(path)?.[1];
  return other !== undefined && other !== orgId;
}
