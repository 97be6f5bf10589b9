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

/** An IPv4 peer of a dual-stack socket is reported as `::ffff:a.b.c.d`; compare it as `a.b.c.d`. */
const plainAddress = (address: string): string =>
  address.toLowerCase().startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;

/**
 * The client's address from the socket peer and `X-Forwarded-For`. Each trusted proxy appends the
 * address it received the request from, so the list is read from the right: past the peer, every
 * entry a trusted proxy added is believed, and the first address that is not a trusted proxy is the
 * client. Entries to its left were written by the client itself and are never believed (taking the
 * first entry would let anyone behind an appending proxy choose the address that rate limits and
 * the audit record).
 */
export function forwardedClient(
  socket: string | null,
  forwarded: string | undefined,
  trustedProxies: readonly string[],
): string | null {
  if (socket === null) return null;
  const peer = plainAddress(socket);
  const trusted = new Set(trustedProxies.map(plainAddress));
  if (!forwarded || !trusted.has(peer)) return peer;
  const hops = forwarded
    .split(',')
    .map((hop) => plainAddress(hop.trim()))
    .filter((hop) => hop !== '');
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    client = hops[i]!;
    if (!trusted.has(client)) break;
  }
  return client;
}

/** The client's address: the socket's, or as trusted proxies forwarded it (see forwardedClient). */
export function clientIP(c: AppContext, services: Services): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const socket = env?.incoming?.socket?.remoteAddress ?? null;
  return forwardedClient(socket, c.req.header('x-forwarded-for'), services.config.trustedProxies);
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
