import type { AnyRoute } from '../../http/route-table.js';
import { assetRoutes } from '../../pages/assets.js';
import { loginPageRoutes } from '../../pages/login-page.js';
import type { Identity } from '../identity/identity.js';
import { deviceRoutes } from './device-routes.js';
import { DeviceStore } from './device-store.js';
import { oauthDeviceRoutes } from './oauth-device-routes.js';

/** Device login (pylon-cli's `/device/*`, RFC 8628) and the hosted pages it needs, on every org's base. */
export function deviceAndPageRoutes(identity: Identity): AnyRoute[] {
  const devices = new DeviceStore(identity.services.storage.db, identity.services.random);
  return [
    ...deviceRoutes(identity, devices),
    ...oauthDeviceRoutes(identity, devices),
    ...loginPageRoutes(identity),
    ...assetRoutes,
  ];
}
