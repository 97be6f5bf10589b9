import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { trustedDeviceRoutes } from './routes.js';

/**
 * Trusted devices (`/api/auth/trusted-devices`). The store lives on the identity core, because
 * sign-in reads it and password and TOTP changes clear it; this feature adds the routes, and drops
 * the devices at the first proof of an address: one trusted by an unproven holder is not the owner's.
 */
export function trustedDevicesFeature(_services: Services, { identity }: FeatureDeps): Feature {
  const devices = identity.trustedDevices;
  identity.credentialDroppers.push({
    name: 'trusted_devices',
    drop: (trx, userId) => devices.revokeAll(userId, trx),
  });
  return { authRoutes: trustedDeviceRoutes(identity, devices) };
}
