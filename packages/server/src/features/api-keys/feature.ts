import { ActivityRecorder } from '../../activity/activity-recorder.js';
import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { apiKeyStore } from './api-key-actions.js';
import { apiKeyResolver } from './api-key-resolver.js';
import { apiKeyRoutes } from './routes.js';

/** API keys (`/api/auth/api-keys`): routes, and the resolver that turns `Bearer pk.…` into its owner. */
export function apiKeysFeature(services: Services, { identity }: FeatureDeps): Feature {
  const keys = apiKeyStore(services);
  const activity = new ActivityRecorder(
    { name: 'api_keys', touch: (ids, now) => keys.touch(ids, now) },
    services.clock,
    services.logger,
  );
  services.background.onFlush(() => activity.flush());
  identity.credentialDroppers.push({
    name: 'api_keys',
    drop: (trx, userId) => keys.revokeAllOf(trx, userId),
  });
  return {
    authRoutes: apiKeyRoutes(identity, keys),
    resolvers: [apiKeyResolver(keys, activity, services.clock)],
  };
}
