import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { deviceRoutes } from './device-routes.js';
import { DeviceStore } from './device-store.js';
import { oauthDeviceRoutes } from './oauth-device-routes.js';

/** Device login (pylon-cli's `/device/*`, RFC 8628's `/oauth/*`), on every org's base. */
export function deviceFeature(services: Services, { identity }: FeatureDeps): Feature {
  const devices = new DeviceStore(services.storage.db, services.random);
  return { rbacRoutes: [...deviceRoutes(identity, devices), ...oauthDeviceRoutes(identity, devices)] };
}
