import { PylonError } from '@pylon/core';
import { DiscoverResponse } from '@pylon/core/wire';
import { requestAPIURL } from '../../http/org-hosts.js';
import { defineRoute } from '../../http/route-table.js';

export const discoverRoutes = [
  defineRoute({
    method: 'get',
    path: '/discover',
    summary: 'The org this base URL serves and its canonical api_url',
    tags: ['rbac'],
    responses: {
      200: { description: 'The org', schema: DiscoverResponse },
      404: { description: 'Unknown org' },
    },
    handler: async (c, _input, { config, orgs }) => {
      const org = await orgs.find(c.get('orgId'));
      if (!org) throw new PylonError('org_not_found');
      return c.json({ id: org.id, name: org.name, api_url: requestAPIURL(c, config) });
    },
  }),
];
