import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { ConsoleAPI } from './api.js';
import { appPages } from './app-pages.js';
import { consoleAssetRoutes } from './assets.js';
import { auditPages } from './audit-pages.js';
import { consoleDeps } from './console-deps.js';
import { deploymentPages } from './deployment-pages.js';
import { oauthPages } from './oauth-pages.js';
import { orgPages } from './org-pages.js';
import { ssoPages } from './sso-pages.js';

/**
 * The admin console (`/console*`): server-rendered pages whose every read and action is a call of
 * the route handlers the CLI reaches over HTTP (orgs, members, invites, apps, grants, schema
 * approval, audit), so each passes the same validation, caller resolution and capability checks.
 *
 * The console is the one feature that is a client of others: it acts through the route tables the
 * other features mount (`deps.mountedRoutes`, filled as the feature table is built), so a change to
 * how any of them builds its routes reaches the console unchanged and no check is copied.
 */
export function consoleFeature(services: Services, deps: FeatureDeps): Feature {
  // The routes every feature mounts, read at the first call (the table is complete by then).
  const api = new ConsoleAPI(deps.mountedRoutes, services);
  const context = consoleDeps(services, api, deps.admins);
  // Open live tails, ended when the server closes so no stream outlives it.
  const tails = new Set<AbortController>();
  return {
    rbacRoutes: [
      ...consoleAssetRoutes,
      ...orgPages(context),
      ...appPages(context, deps.rbac.schemas),
      ...oauthPages(context),
      ...ssoPages(context),
      ...auditPages(context, tails),
      ...deploymentPages(context, deps.admins),
    ],
    onClose: [
      async () => {
        for (const tail of tails) tail.abort();
      },
    ],
  };
}
