import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import { assetRoutes } from '../../pages/assets.js';
import { loginPageRoutes } from '../../pages/login-page.js';
import type { FeatureDeps } from '../deps.js';

/** The hosted sign-in pages (`/login*`) and their stylesheet, on every org's base. */
export function pagesFeature(_services: Services, { identity }: FeatureDeps): Feature {
  return { rbacRoutes: [...loginPageRoutes(identity), ...assetRoutes] };
}
