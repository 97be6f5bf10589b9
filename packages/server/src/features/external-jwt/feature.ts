import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { externalJWTResolver } from './resolver.js';

/** Callers that bring a JWT from a configured issuer (PYLON_JWT_ISSUERS); no routes of its own. */
export function externalJWTFeature(services: Services, { identity }: FeatureDeps): Feature {
  return {
    resolvers: [
      externalJWTResolver(
        services.config.jwtIssuers,
        services.fetch,
        services.clock,
        async (provider, subject, provenEmail) => {
          const linkedUserId = await identity.users.findLinkedUser(provider, subject);
          const reached = await Promise.all([
            linkedUserId === null ? null : identity.users.findById(linkedUserId),
            provenEmail === null ? null : identity.users.findByEmail(provenEmail),
          ]);
          const lastDisabled = reached
            .map((user) => user?.lastDisabledAt ?? null)
            .filter((at) => at !== null);
          return {
            linkedUserId,
            disabled: reached.some((user) => user != null && user.disabledAt !== null),
            lastDisabledAt: lastDisabled.length === 0 ? null : Math.max(...lastDisabled),
          };
        },
      ),
    ],
  };
}
