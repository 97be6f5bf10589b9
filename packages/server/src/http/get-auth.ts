import { getCookie } from 'hono/cookie';
import { type AuthContext, bearerFrom, type Credentials, resolveCaller } from './auth-context.js';
import type { AppContext, Services } from './context.js';

/**
 * The query string of a request URL, without parsing the whole URL (`new URL` costs a few µs on
 * every authenticated request, and most have no query at all). A fragment is not part of it.
 */
export function searchParams(url: string): URLSearchParams {
  const hash = url.indexOf('#');
  const start = url.indexOf('?');
  if (start === -1 || (hash !== -1 && hash < start)) return new URLSearchParams();
  return new URLSearchParams(hash === -1 ? url.slice(start + 1) : url.slice(start + 1, hash));
}

/** The authenticated caller of this request, resolved once and remembered on the context. */
export async function getAuth(c: AppContext, services: Services): Promise<AuthContext> {
  const cached = c.get('auth');
  if (cached) return cached;
  const auth = await resolveCaller(services.resolvers, requestCredentials(c));
  c.set('auth', auth);
  return auth;
}

/**
 * What the resolvers see of this request, read once and remembered on the context: the route
 * table's check that a credential is present and the caller's resolution share it.
 */
export function requestCredentials(c: AppContext): Credentials {
  let credentials = c.get('credentials');
  if (credentials === undefined) {
    credentials = credentialsOf({
      header: (name) => c.req.header(name),
      cookies: getCookie(c),
      method: c.req.method,
      url: c.req.url,
      orgId: c.get('orgId') ?? null,
    });
    c.set('credentials', credentials);
  }
  return credentials;
}

/** What the resolvers see of a request, from its headers however the runtime gives them. */
export function credentialsOf(request: {
  /** A header by its lower-case name. */
  header(name: string): string | undefined;
  cookies: Readonly<Record<string, string>>;
  method: string;
  url: string;
  orgId: string | null;
}): Credentials {
  const { header } = request;
  return {
    bearer: bearerFrom(header('authorization')),
    cookies: request.cookies,
    method: request.method,
    origin: header('origin') ?? null,
    referer: header('referer') ?? null,
    userAgent: header('user-agent') ?? null,
    header: (name) => header(name.toLowerCase()) ?? null,
    query: searchParams(request.url),
    orgId: request.orgId,
  };
}
