import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { oauthRoutes } from './routes.js';
import { createSocialProvider } from './social-providers.js';
import { OAuthStateStore } from './state-store.js';

/** Social sign-in (`/providers`, `/login/:provider`, `/callback/:provider`), ending in identity's sign-in. */
export function oauthFeature(services: Services, { identity }: FeatureDeps): Feature {
  const providers = new Map(
    services.config.oauthProviders.map(
      (config) => [config.id, createSocialProvider(config, services.fetch)] as const,
    ),
  );
  const states = new OAuthStateStore(services.storage.db, services.random, services.sealer);
  return { authRoutes: oauthRoutes(identity, providers, states) };
}
