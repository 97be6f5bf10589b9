import { PylonError } from '@pylon/core';
import { OAuthConsentList, RevokeOAuthConsentResponse } from '@pylon/core/wire';
import type { AppContext } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import { defineRoute } from '../../http/route-table.js';
import { revokeConsent } from './consent-actions.js';
import type { OAuthServerContext } from './context.js';

/** The signed-in person (a session, or their API key); consents are always the caller's own. */
async function person(c: AppContext, context: OAuthServerContext): Promise<string> {
  const auth = await getAuth(c, context.services);
  if (
    auth.userId === null ||
    auth.isGuest ||
    (auth.authMethod !== 'session' && auth.authMethod !== 'api_key')
  ) {
    throw new PylonError(auth.sessionLookup === 'expired' ? 'expired' : 'no_session');
  }
  return auth.userId;
}

/** A person's remembered consents in this org, for the account page (and `pylon oauth`). */
export function consentRoutes(context: OAuthServerContext) {
  const { services } = context;
  return [
    defineRoute({
      method: 'get',
      path: '/oauth/consents',
      summary: 'The clients the caller allowed, per MCP server (resource)',
      tags: ['oauth-server'],
      security: ['session'],
      responses: {
        200: { description: 'Consents', schema: OAuthConsentList },
        401: { description: 'no_session or expired' },
      },
      handler: async (c) => {
        const userId = await person(c, context);
        const consents = await context.consents.list(c.get('orgId'), userId);
        return c.json({
          consents: consents.map((consent) => ({
            id: consent.id,
            client_id: consent.clientId,
            client_name: consent.clientName,
            resource: consent.resource,
            scope: consent.scope,
            created_at: consent.createdAt,
          })),
        });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/oauth/consents/:id',
      summary: 'Revoke a consent and every refresh token issued under it',
      tags: ['oauth-server'],
      security: ['session'],
      responses: {
        200: { description: 'Revoked', schema: RevokeOAuthConsentResponse },
        401: { description: 'no_session or expired' },
        404: { description: 'consent_not_found' },
      },
      handler: async (c) => {
        const userId = await person(c, context);
        const id = c.req.param('id') ?? '';
        await revokeConsent(services, context.consents, {
          orgId: c.get('orgId'),
          userId,
          id,
          requestId: c.get('requestId'),
        });
        return c.json({ id, revoked: true as const });
      },
    }),
  ];
}
