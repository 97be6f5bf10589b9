import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { EmailChangeStore } from './email-change-store.js';
import { accountRoutes } from './routes.js';

/**
 * The account's life cycle (`/api/auth/*`): the current session with its user, email change,
 * deletion by its holder, and linked outside identities. Acts through the shared identity core
 * and org store; owns only the pending email changes.
 */
export function accountFeature(services: Services, { identity, orgs }: FeatureDeps): Feature {
  return {
    authRoutes: accountRoutes(identity, orgs, new EmailChangeStore(services.storage.db)),
  };
}
