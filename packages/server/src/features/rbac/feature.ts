import { AuditMaintenance } from '../../audit/maintenance.js';
import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { appRoutes } from './app-routes.js';
import { auditRoutes } from './audit-routes.js';
import { bootstrapRoutes } from './bootstrap-routes.js';
import type { RBACContext } from './context.js';
import { roleRoutes } from './role-routes.js';
import { schemaRoutes } from './schema-routes.js';
import { tokenRoutes } from './token-routes.js';

/** The RBAC service (the pylon-cli contract), mounted at the root and under every org's base. */
export function rbacFeature(services: Services, { orgs, rbac, admins }: FeatureDeps): Feature {
  const context: RBACContext = { services, orgs, ...rbac, admins };
  // The audit chain's checkpoints and retention (audit/maintenance.ts), stopped with the server.
  const audit = new AuditMaintenance(services);
  audit.start();
  return {
    onClose: [async () => audit.stop()],
    rbacRoutes: [
      ...tokenRoutes(context),
      ...appRoutes(context),
      ...roleRoutes(context),
      ...schemaRoutes(context),
      ...auditRoutes(context),
      ...bootstrapRoutes(context),
    ],
  };
}
