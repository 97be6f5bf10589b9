import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import { pageAssetRoutes } from '../../pages/assets.js';
import { loginPageRoutes } from '../../pages/login-page.js';
import { shownOnceOf } from '../../pages/shown-once.js';
import type { FeatureDeps } from '../deps.js';

/**
 * The hosted sign-in pages (`/login*`), their stylesheet and scripts, and the forms' outcome pages
 * (`/shown/{id}`), on every org's base.
 */
export function pagesFeature(services: Services, { identity, returnDestinations }: FeatureDeps): Feature {
  return {
    rbacRoutes: [
      ...loginPageRoutes(identity, returnDestinations),
      ...pageAssetRoutes(services.config.brand),
      // The outcome pages of the console's and the account pages' forms (post/redirect/get).
      ...shownOnceOf(services).routes,
    ],
  };
}
