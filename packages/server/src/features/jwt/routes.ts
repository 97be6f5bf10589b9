import { PylonError } from '@pylon/core';
import { MintedJWTResponse } from '@pylon/core/wire';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { AuthContext } from '../../http/auth-context.js';
import type { Services } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import { defineRoute } from '../../http/route-table.js';
import { clientIP } from '../identity/route-helpers.js';
import { mintedClaims, signMintedJWT } from './mint-jwt.js';

/**
 * Only a person signed in with a session gets a token for other services. An API key is refused
 * too: it already is the credential a service holds, and a JWT minted from it would outlive its
 * revocation by up to the token's lifetime without any session to revoke. Guests are no account.
 */
function requirePerson(auth: AuthContext): AuthContext & { userId: string } {
  if (auth.authMethod !== 'session' || auth.userId === null || auth.isGuest) {
    throw new PylonError('AUTH_REQUIRED');
  }
  return auth as AuthContext & { userId: string };
}

export function jwtRoutes(services: Services) {
  const config = services.config.jwtMinting;
  return [
    defineRoute({
      method: 'post',
      path: '/jwt',
      summary: 'A short-lived JWT about the signed-in person, for other services to verify',
      tags: ['sessions'],
      security: ['session', 'sessionCookie'],
      anonymous: 'AUTH_REQUIRED',
      responses: {
        200: {
          description:
            'The token (claims sub, iat, exp, iss, tenant_id, roles; EdDSA under /.well-known/jwks.json, or HS256 with PYLON_JWT_SECRET) and its exp',
          schema: MintedJWTResponse,
        },
        401: { description: 'AUTH_REQUIRED: signed out, a guest, an API key or the admin token' },
      },
      handler: async (c) => {
        const person = requirePerson(await getAuth(c, services));
        const now = services.clock.now();
        const minted = await signMintedJWT(
          config,
          services.keys,
          mintedClaims(config, services.config.publicURL, person, now),
        );
        await appendAudit(services.storage.db, now, {
          org: DEPLOYMENT_AUDIT,
          action: 'jwt.minted',
          actor: person.userId,
          target: person.userId,
          detail: { alg: config.secret === null ? 'EdDSA' : 'HS256', expires_at: minted.expiresAt },
          ip: clientIP(c, services),
          requestId: c.get('requestId'),
        });
        return c.json({ token: minted.token, expires_at: minted.expiresAt });
      },
    }),
  ];
}
