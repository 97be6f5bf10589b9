import { getCookie } from 'hono/cookie';
import { type AuthContext, bearerFrom, resolveCaller } from './auth-context.js';
import type { AppContext, Services } from './context.js';

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
    query: new URL(c.req.url).searchParams,
  });
  c.set('auth', auth);
  return auth;
}
