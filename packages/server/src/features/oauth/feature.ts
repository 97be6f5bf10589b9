import type { Services } from '../../http/context.js';
import type { Feature } from '../../server.js';
import type { Identity } from '../identity/identity.js';
import { oauthRoutes } from './routes.js';
import { createSocialProvider } from './social-providers.js';
import { OAuthStateStore } from './state-store.js';

/** Social sign-in (`/providers`, `/login/:provider`, `/callback/:provider`), on the identity feature. */
export function oauthFeature(services: Services, identity: Identity): Feature {
  const providers = new Map(
    services.config.oauthProviders.map(
      (config) => [config.id, createSocialProvider(config, services.fetch)] as const,
    ),
  );
  const states = new OAuthStateStore(services.storage.db, services.random, services.sealer);
  return { authRoutes: oauthRoutes(identity, providers, states) };
}
