import { getCookie } from 'hono/cookie';
import { type AuthContext, bearerFrom, resolveCaller } from './auth-context.js';
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
  const auth = await resolveCaller(services.resolvers, {
    bearer: bearerFrom(c.req.header('authorization')),
    cookies: getCookie(c),
    method: c.req.method,
    origin: c.req.header('origin') ?? null,
    referer: c.req.header('referer') ?? null,
    userAgent: c.req.header('user-agent') ?? null,
    header: (name) => c.req.header(name) ?? null,
    query: searchParams(c.req.url),
    orgId: c.get('orgId') ?? null,
  });
  c.set('auth', auth);
  return auth;
}
