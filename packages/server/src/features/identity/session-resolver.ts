import { PylonError } from '@pylon/core';
import type { ActivityRecorder } from '../../activity/activity-recorder.js';
import { thenNow } from '../../awaitable.js';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config/config.js';
import { ANONYMOUS, type AuthContext, type CallerResolver } from '../../http/auth-context.js';
import { passesCSRFCheck, sessionTokenFromCookies } from './session-cookie.js';
import type { SessionStore } from './session-store.js';

/**
 * Session tokens, from the bearer header and then the session cookie (session-cookie.ts). An
 * unknown or expired token is simply not a caller (anonymous), so `/me` answers 200; an expired
 * bearer token says so on the anonymous context (`sessionLookup`), from the same one read, for the
 * RBAC surface's `expired`. The session resolver runs last, so answering for it ends nothing early.
 */
export function sessionResolver(
  config: Config,
  sessions: SessionStore,
  activity: ActivityRecorder,
  clock: Clock,
): CallerResolver {
  return {
    name: 'session',
    presented: (credentials) => sessionTokenFromCookies(config, credentials.cookies) !== null,
    resolve(credentials) {
      const fromBearer = credentials.bearer?.startsWith('pylon_') ? credentials.bearer : null;
      const token = fromBearer ?? sessionTokenFromCookies(config, credentials.cookies);
      if (token === null) return null;
      const now = clock.now();
      // Answered at once when the read is (SQLite's direct reader): no promise on the hot path.
      return thenNow(sessions.lookup(token, now, credentials.orgId ?? null), (lookup) => {
        if (lookup.kind === 'expired' && fromBearer !== null)
          return { ...ANONYMOUS, sessionLookup: 'expired' };
        if (lookup.kind !== 'ok') return null;
        const { session } = lookup;
        if (
          fromBearer === null &&
          !passesCSRFCheck(credentials.method, credentials.origin, credentials.referer, config.trustedOrigins)
        ) {
          throw new PylonError('CSRF_FAILED');
        }
        activity.seen(session.id, session.lastSeenAt, now);
        const context: AuthContext = {
          userId: session.userId,
          email: session.email,
          emailVerified: session.emailVerifiedAt !== null,
          isAdmin: false,
          isGuest: session.isGuest,
          roles: session.orgRole === null ? [] : [session.orgRole],
          tenantId: session.activeOrg,
          authMethod: 'session',
          sessionId: session.id,
          sessionExpiresAt: session.expiresAt,
          capabilityVersion: session.capabilityVersion,
        };
        return context;
      });
    },
  };
}
