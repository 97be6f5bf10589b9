import { PylonError } from '@pylon/core';
import { OAuthConsentList, RevokeOAuthConsentResponse } from '@pylon/core/wire';
import { appendAudit } from '../../audit/audit-log.js';
import type { AppContext } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import { defineRoute } from '../../http/route-table.js';
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
        const now = services.clock.now();
        if (!(await context.consents.revoke(c.get('orgId'), userId, id, now))) {
          throw new PylonError('consent_not_found');
        }
        await appendAudit(services.storage.db, now, {
          org: c.get('orgId'),
          action: 'oauth.consent_revoked',
          actor: { type: 'user', id: userId },
          target: userId,
          detail: { consent_id: id },
          requestId: c.get('requestId'),
        });
        return c.json({ id, revoked: true as const });
      },
    }),
  ];
}
