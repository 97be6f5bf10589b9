import type { Services } from '../../http/context.js';
import type { OrgStore } from '../orgs/org-store.js';
import type { AppStore } from './app-store.js';
import type { CapabilityResolver } from './capabilities.js';
import type { DeploymentAdmins } from './deployment-admin.js';
import type { GrantStore } from './grant-store.js';
import type { SchemaStore } from './schema-store.js';

/** What the RBAC routes share, built once per server. */
export interface RBACContext {
  services: Services;
  apps: AppStore;
  schemas: SchemaStore;
  grants: GrantStore;
  orgs: OrgStore;
  capabilities: CapabilityResolver;
  admins: DeploymentAdmins;
}
