import { PylonError } from '@pylon/core';
import { getCookie } from 'hono/cookie';
import type { AuthContext } from '../../http/auth-context.js';
import type { AppContext, Services } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import { trustedDeviceTokenFromCookies } from '../trusted-devices/cookie.js';
import { setSessionCookie } from './session-cookie.js';
import type { RequestFacts, SignInOutcome } from './sign-in.js';

/**
 * The HTTP side of identity's use cases: routes and pages read the request here, call a use case
 * with plain values, then set the cookie and answer. Nothing past this module sees the context.
 */

/** The client's address: the socket's, or X-Forwarded-For's first hop only from a trusted proxy. */
export function clientIP(c: AppContext, services: Services): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const socket = env?.incoming?.socket?.remoteAddress ?? null;
  const forwarded = c.req.header('x-forwarded-for');
  if (forwarded && socket && services.config.trustedProxies.includes(socket)) {
    return forwarded.split(',')[0]!.trim() || socket;
  }
  return socket;
}

/** The request as a use case sees it: the one place its facts are read from the context. */
export async function requestFacts(c: AppContext, services: Services): Promise<RequestFacts> {
  return {
    ip: clientIP(c, services),
    userAgent: c.req.header('user-agent') ?? null,
    requestId: c.get('requestId'),
    guestUserId: await guestCaller(c, services),
    trustedDeviceToken: trustedDeviceTokenFromCookies(services.config, getCookie(c)),
  };
}

/**
 * The guest user id when the caller signs in from a guest session (their guest is then merged
 * into the account they sign in to), else null. A cross-site cookie is simply not a caller here.
 */
async function guestCaller(c: AppContext, services: Services): Promise<string | null> {
  try {
    const caller = await getAuth(c, services);
    return caller.isGuest && caller.authMethod === 'session' ? caller.userId : null;
  } catch (error) {
    if (error instanceof PylonError) return null;
    throw error;
  }
}

/** The wire body of a sign-in (`expires_at` in seconds); a session also sets the cookie. */
export function answerSignIn(
  c: AppContext,
  services: Services,
  outcome: SignInOutcome,
): { token: string; user_id: string; expires_at: number } | { mfa_required: true; mfa_token: string } {
  if (outcome.kind === 'mfa_required') return { mfa_required: true, mfa_token: outcome.mfaToken };
  setSessionCookie(c, services.config, outcome.token, outcome.expiresAt);
  return { token: outcome.token, user_id: outcome.userId, expires_at: Math.floor(outcome.expiresAt / 1000) };
}

/** The caller's session, or 401. */
export async function requireSession(
  c: AppContext,
  services: Services,
): Promise<AuthContext & { userId: string; sessionId: string }> {
  const auth = await getAuth(c, services);
  if (auth.authMethod === 'api_key') {
    throw new PylonError('API_KEY_AUTH_FORBIDDEN');
  }
  if (auth.authMethod !== 'session' || auth.userId === null || auth.sessionId === undefined) {
    throw new PylonError('UNAUTHORIZED', {
      message: 'Sign in first: send a session as a bearer token or cookie',
    });
  }
  return auth as AuthContext & { userId: string; sessionId: string };
}
