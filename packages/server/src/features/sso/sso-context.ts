import type { Services } from '../../http/context.js';
import type { Identity } from '../identity/identity.js';
import type { OrgStore } from '../orgs/org-store.js';
import type { OIDCClient } from './oidc-client.js';
import type { SSOStore } from './sso-store.js';

/** What the SSO routes (OIDC and SAML) share, built once by feature.ts. */
export interface SSOContext {
  services: Services;
  identity: Identity;
  orgs: OrgStore;
  store: SSOStore;
  oidc: OIDCClient;
}
