const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

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
