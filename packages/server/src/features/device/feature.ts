import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { deviceRoutes } from './device-routes.js';
import { DeviceStore } from './device-store.js';
import { deviceTokenGrant, oauthDeviceRoutes } from './oauth-device-routes.js';

/**
 * Device login (pylon-cli's `/device/*`, RFC 8628's `/oauth/device_authorization`), on every org's
 * base; the device grant is answered by the authorization server's token endpoint.
 */
export function deviceFeature(services: Services, { identity, orgs, tokenGrants }: FeatureDeps): Feature {
  const devices = new DeviceStore(services.storage.db, services.random);
  tokenGrants.push(deviceTokenGrant(identity, devices));
  identity.disableRevokers.push({
    name: 'device_approvals',
    drop: (trx, userId) => devices.denyApprovedFor(trx, userId),
  });
  return { rbacRoutes: [...deviceRoutes(identity, devices, orgs), ...oauthDeviceRoutes(identity, devices)] };
}
