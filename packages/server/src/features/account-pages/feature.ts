import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import { EmailChangeStore } from '../account/email-change-store.js';
import { apiKeyStore } from '../api-keys/api-key-actions.js';
import type { FeatureDeps } from '../deps.js';
import { ConsentStore } from '../oauth-server/consent-store.js';
import { PasskeyStore } from '../passkeys/passkey-store.js';
import { appsPageRoutes } from './apps-page.js';
import { authPageRoutes } from './auth-pages.js';
import { deleteAccountPageRoutes } from './delete-account-page.js';
import { keysPageRoutes } from './keys-pages.js';
import { profilePageRoutes } from './profile-pages.js';
import { securityPageRoutes } from './security-page.js';

/**
 * The hosted pages of an account's life beside /login: sign-up, password reset, email
 * verification, and `/account/*` (profile, security, sessions, API keys, linked accounts,
 * connected apps, activity, deleting the account). Server-rendered forms over the same use cases as the JSON API; stores are the
 * plain table classes the owning features also build.
 */
export function accountPagesFeature(
  services: Services,
  { identity, orgs, returnDestinations }: FeatureDeps,
): Feature {
  const { db } = services.storage;
  return {
    rbacRoutes: [
      ...authPageRoutes(identity, returnDestinations),
      ...profilePageRoutes(identity, new EmailChangeStore(db)),
      ...deleteAccountPageRoutes(identity, orgs),
      ...securityPageRoutes(identity, new PasskeyStore(db, services.random)),
      ...keysPageRoutes(identity, apiKeyStore(services)),
      ...appsPageRoutes(identity, new ConsentStore(db, services.random)),
    ],
  };
}
