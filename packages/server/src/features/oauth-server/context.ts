import type { Services } from '../../http/context.js';
import type { IdTokenKeys } from '../../signing/id-token-keys.js';
import type { Identity } from '../identity/identity.js';
import type { AppStore } from '../rbac/app-store.js';
import type { CapabilityResolver } from '../rbac/capabilities.js';
import type { ClientStore } from './client-store.js';
import type { ClientDirectory } from './clients.js';
import type { CodeStore } from './code-store.js';
import type { ConsentPrompts } from './consent-prompts.js';
import type { ConsentStore } from './consent-store.js';
import type { RefreshStore } from './refresh-store.js';
import type { TokenGrant } from './token-grant.js';

/** What the authorization server's routes share, built once per server. */
export interface OAuthServerContext {
  services: Services;
  identity: Identity;
  clientStore: ClientStore;
  clients: ClientDirectory;
  codes: CodeStore;
  refreshTokens: RefreshStore;
  consents: ConsentStore;
  /** Consent pages shown and not yet answered: each is answered once. */
  consentPrompts: ConsentPrompts;
  apps: AppStore;
  /** The same resolver `POST /token` mints scoped tokens with. */
  capabilities: CapabilityResolver;
  idTokenKeys: IdTokenKeys;
  /** Every grant type the token endpoint answers, this feature's and other features'. */
  tokenGrants: TokenGrant[];
}
