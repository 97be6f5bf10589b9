import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { userAdminRoutes } from '../identity/user-admin-routes.js';
import { orgsFeature } from '../orgs/feature.js';
import { rbacFeature } from '../rbac/feature.js';
import { SchemaStore } from '../rbac/schema-store.js';
import { ssoFeature } from '../sso/feature.js';
import { ConsoleAPI } from './api.js';
import { appPages } from './app-pages.js';
import { consoleAssetRoutes } from './assets.js';
import { auditPages } from './audit-pages.js';
import { consoleDeps } from './console-deps.js';
import { deploymentPages } from './deployment-pages.js';
import { orgPages } from './org-pages.js';
import { ssoPages } from './sso-pages.js';

/**
 * The admin console (`/console*`): server-rendered pages whose every read and action is a call of
 * the route handlers the CLI reaches over HTTP (orgs, members, invites, apps, grants, schema
 * approval, audit), so each passes the same validation, caller resolution and capability checks.
 *
 * The console is the one feature that is a client of others: it takes the orgs, SSO and RBAC route
 * tables from those features' own factories (and identity's user list from its route module) (never mounting them; those features mount their own),
 * so a change to how either builds its routes reaches the console unchanged and no check is copied.
 */
export function consoleFeature(services: Services, deps: FeatureDeps): Feature {
  const api = new ConsoleAPI(
    {
      auth: [
        ...(orgsFeature(services, deps).authRoutes ?? []),
        ...(ssoFeature(services, deps).authRoutes ?? []),
        // The identity feature also registers background work, so only its user list is taken.
        ...userAdminRoutes(deps.identity),
      ],
      rbac: rbacFeature(services, deps).rbacRoutes ?? [],
    },
    services,
  );
  const context = consoleDeps(services, api);
  // Open live tails, ended when the server closes so no stream outlives it.
  const tails = new Set<AbortController>();
  return {
    rbacRoutes: [
      ...consoleAssetRoutes,
      ...orgPages(context),
      ...appPages(context, new SchemaStore(services.storage.db)),
      ...ssoPages(context),
      ...auditPages(context, tails),
      ...deploymentPages(context),
    ],
    onClose: [
      async () => {
        for (const tail of tails) tail.abort();
      },
    ],
  };
}
