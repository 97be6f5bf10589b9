import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { relyingParty } from './ceremony.js';
import { PasskeyStore } from './passkey-store.js';
import { passkeyRoutes } from './routes.js';

/** Passkeys (`/api/auth/passkeys*`): WebAuthn registration, sign-in and management. */
export function passkeysFeature(services: Services, { identity }: FeatureDeps): Feature {
  const store = new PasskeyStore(services.storage.db, services.random);
  identity.signInMethods.push({ name: 'passkey', holds: (trx, userId) => store.holdsAny(trx, userId) });
  // A passkey set before the address was proven may be an attacker's (account pre-hijacking).
  identity.credentialDroppers.push({
    name: 'passkeys',
    drop: (trx, userId) => store.removeAllOf(trx, userId),
  });
  return {
    authRoutes: passkeyRoutes({ identity, store, rp: relyingParty(services.config) }),
  };
}
