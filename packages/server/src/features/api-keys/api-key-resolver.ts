import { PylonError } from '@pylon/core';
import type { ActivityRecorder } from '../../activity/activity-recorder.js';
import type { Clock } from '../../clock.js';
import type { AuthContext, CallerResolver } from '../../http/auth-context.js';
import type { APIKeyStore } from './api-key-store.js';

/**
 * `Authorization: Bearer pk.…` (second in caller resolution, after the admin token): the key's
 * owner, limited to the key's scopes. A key in the query string is refused outright: URLs end up
 * in logs and browser history.
 */
export function apiKeyResolver(keys: APIKeyStore, activity: ActivityRecorder, clock: Clock): CallerResolver {
  async function ownerOf(bearer: string): Promise<AuthContext> {
    const now = clock.now();
    const checked = await keys.check(bearer, now);
    if (checked.kind === 'expired') throw new PylonError('API_KEY_EXPIRED');
    if (checked.kind === 'invalid') throw new PylonError('INVALID_API_KEY');
    const { key, email, emailVerified } = checked.owner;
    activity.seen(key.id, key.lastUsedAt, now);
    return {
      userId: key.userId,
      email,
      emailVerified,
      isAdmin: false,
      isGuest: false,
      roles: [],
      tenantId: null,
      authMethod: 'api_key',
      apiKey: { id: key.id, scopes: key.scopes },
      // What `/whoami` reports as the credential's end: the key's expiry, none when it has none.
      ...(key.expiresAt === null ? {} : { sessionExpiresAt: key.expiresAt }),
    };
  }

  /** A key in the query string: refused by `resolve`, so the caller learns where keys go. */
  const inQuery = (query: URLSearchParams): boolean => {
    for (const value of query.values()) if (value.startsWith('pk.')) return true;
    return false;
  };
  return {
    name: 'api_key',
    presented: (credentials) => inQuery(credentials.query),
    // Declines (or refuses a key in the URL) at once; only a key it must look up is a promise.
    resolve(credentials) {
      if (inQuery(credentials.query)) {
        throw new PylonError('INVALID_API_KEY', {
          message: 'Send API keys in the Authorization header, never in the URL',
        });
      }
      if (!credentials.bearer?.startsWith('pk.')) return null;
      return ownerOf(credentials.bearer);
    },
  };
}
