import { AuditMaintenance } from '../../audit/maintenance.js';
import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import { CapabilityVersions } from '../../storage/capability-versions.js';
import type { FeatureDeps } from '../deps.js';
import { appRoutes } from './app-routes.js';
import { AppStore } from './app-store.js';
import { auditRoutes } from './audit-routes.js';
import { bootstrapRoutes } from './bootstrap-routes.js';
import { CapabilityResolver } from './capabilities.js';
import type { RBACContext } from './context.js';
import { GrantStore } from './grant-store.js';
import { roleRoutes } from './role-routes.js';
import { schemaRoutes } from './schema-routes.js';
import { SchemaStore } from './schema-store.js';
import { tokenRoutes } from './token-routes.js';

/** The RBAC service (the pylon-cli contract), mounted at the root and under every org's base. */
export function rbacFeature(services: Services, { orgs }: FeatureDeps): Feature {
  const { db, dialect } = services.storage;
  const schemas = new SchemaStore(db);
  const apps = new AppStore(db, dialect, services.random);
  const grants = new GrantStore(db);
  const context: RBACContext = {
    services,
    apps,
    schemas,
    grants,
    orgs,
    capabilities: new CapabilityResolver(apps, grants, schemas, orgs, new CapabilityVersions(db)),
  };
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
