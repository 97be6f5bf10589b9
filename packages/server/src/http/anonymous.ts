import type { ErrorCode } from '@pylon/core';
import type { CallerResolver, Credentials } from './auth-context.js';
import type { Surface } from './context.js';
import type { AnyRoute } from './route-table.js';
import { SECURITY_SCHEMES } from './security-schemes.js';

/**
 * The code a route refuses a request that carries no credential at all with, or null when it
 * takes such requests (no `security`, or `anonymous: 'served'`). The route table answers it before
 * the body or query is read (route-table.ts, direct-lane.ts), so a signed-out caller is told to
 * sign in, not what was wrong with a body it could not have sent anyway. Unless the route names
 * its own, the surface's 401: `no_session` on the RBAC surface (`app_token_invalid` where the app
 * token is the only way in), `UNAUTHORIZED` on the identity surface.
 */
export function anonymousRefusal(surface: Surface, route: AnyRoute): ErrorCode | null {
  const { security, anonymous } = route;
  if (security === undefined || security.length === 0 || anonymous === 'served') return null;
  if (anonymous !== undefined) return anonymous;
  if (surface === 'auth') return 'UNAUTHORIZED';
  return security.every((scheme) => scheme === 'appToken') ? 'app_token_invalid' : 'no_session';
}

const APP_TOKEN_HEADER = SECURITY_SCHEMES.appToken.name.toLowerCase();

/**
 * Whether a request carries any credential, valid or not: a bearer token (RFC 6750 §2.1, any
 * kind: a session, an API key, the admin token, a JWT), a credential a resolver reads from
 * elsewhere (the session cookie, an identity header, an API key misplaced in the query), or the
 * app token where the route takes one. Read from the credentials alone, without resolving them.
 */
export function carriesCredential(
  route: AnyRoute,
  resolvers: readonly CallerResolver[],
  credentials: Credentials,
): boolean {
  if (credentials.bearer !== null) return true;
  if (route.security?.includes('appToken') && credentials.header(APP_TOKEN_HEADER) !== null) return true;
  return resolvers.some((resolver) => resolver.presented?.(credentials) === true);
}
