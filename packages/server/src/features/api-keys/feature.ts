import { ActivityRecorder } from '../../activity/activity-recorder.js';
import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { DB } from '../../storage/database.js';
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
  const revokeAll = { name: 'api_keys', drop: (trx: DB, userId: string) => keys.revokeAllOf(trx, userId) };
  // Ended by the first proof of an address (keys set before it), and by disabling the account.
  identity.credentialDroppers.push(revokeAll);
  identity.disableRevokers.push(revokeAll);
  return {
    authRoutes: apiKeyRoutes(identity, keys),
    resolvers: [apiKeyResolver(keys, activity, services.clock)],
  };
}
