import { PylonError } from '@pylon/core';
import { SSODiscoverQuery, SSODiscoverResponse } from '@pylon/core/wire';
import { defineRoute } from '../../http/route-table.js';
import { requireEmail } from '../identity/identity.js';
import type { SSOContext } from './sso-context.js';
import { startPath } from './sso-discovery.js';
import { emailDomain } from './sso-rules.js';

/**
 * `GET /sso/discover?email=`: which org's IdP signs in addresses of this domain. Only the domain
 * is looked at, never the person, so the answer is the same for every address of a domain and
 * says nothing about who has an account.
 */
export function discoverRoute({ store }: SSOContext) {
  return [
    defineRoute({
      method: 'get',
      path: '/sso/discover',
      summary: "The org and protocol whose IdP signs in this email's domain (OIDC first)",
      tags: ['sso'],
      query: SSODiscoverQuery,
      responses: {
        200: { description: 'Where to start', schema: SSODiscoverResponse },
        400: { description: 'MISSING_EMAIL or INVALID_EMAIL' },
        404: { description: 'NO_SSO_FOR_DOMAIN' },
      },
      handler: async (c, { query }) => {
        const domain = emailDomain(requireEmail(query.email));
        const found = domain === null ? null : await store.discover(domain);
        if (!found) throw new PylonError('NO_SSO_FOR_DOMAIN');
        return c.json({ org_id: found.orgId, kind: found.kind, start_url: startPath(found) });
      },
    }),
  ];
}
