import type { Generated } from 'kysely';
import type { AuditDatabase } from './audit-tables.js';
import type { OAuthServerDatabase } from './oauth-server-tables.js';
import type { SSODatabase } from './sso-tables.js';

export type {
  AuditChainHeadsTable,
  AuditCheckpointKeysTable,
  AuditCheckpointsTable,
  AuditEventsTable,
} from './audit-tables.js';
export type {
  SAMLAssertionsTable,
  SAMLRequestsTable,
  SSOConnectionsTable,
  SSODomainsTable,
  SSOKind,
  SSOStatesTable,
} from './sso-tables.js';

/** The tables Pylon's migrations create. Timestamps are milliseconds since the epoch (int8). */
export interface Database extends OAuthServerDatabase, AuditDatabase, SSODatabase {
  orgs: OrgsTable;
  signing_keys: SigningKeysTable;
  users: UsersTable;
  sessions: SessionsTable;
  one_time_codes: OneTimeCodesTable;
  rate_limits: RateLimitsTable;
  rate_limit_gcra: RateLimitGCRATable;
  lockouts: LockoutsTable;
  oauth_states: OAuthStatesTable;
  identities: IdentitiesTable;
  org_members: OrgMembersTable;
  org_invites: OrgInvitesTable;
  apps: AppsTable;
  schema_versions: SchemaVersionsTable;
  grants: GrantsTable;
  bootstrap_claims: BootstrapClaimsTable;
  totp_factors: TOTPFactorsTable;
  backup_codes: BackupCodesTable;
  mfa_challenges: MFAChallengesTable;
  api_keys: APIKeysTable;
  trusted_devices: TrustedDevicesTable;
  device_authorizations: DeviceAuthorizationsTable;
  pending_email_changes: PendingEmailChangesTable;
  passkeys: PasskeysTable;
  passkey_challenges: PasskeyChallengesTable;
  capability_versions: CapabilityVersionsTable;
  shown_once: ShownOnceTable;
}

export interface UsersTable {
  id: string;
  email: string | null;
  email_verified_at: number | null;
  display_name: string | null;
  /** Argon2id PHC string; null for users who never set a password. */
  password_hash: string | null;
  is_guest: Generated<number>;
  created_at: number;
  disabled_at: number | null;
  /** When the account was last disabled (ms), kept on enable: credentials issued before stay refused. */
  last_disabled_at: number | null;
}

export type SessionKind = 'browser' | 'cli' | 'guest' | 'admin-minted';

export interface SessionsTable {
  /** Public id (shown in session lists); the token itself is never stored. */
  id: string;
  token_hash: string;
  token_prefix: string;
  user_id: string;
  active_org: string | null;
  kind: SessionKind;
  device: string | null;
  ip: string | null;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  /** When the holder last signed in (migration 0014); kept by refresh; null for older sessions. */
  authenticated_at?: number | null;
}

/** An email change waiting for the code sent to the new address (migration 0014). */
export interface PendingEmailChangesTable {
  user_id: string;
  new_email: string;
  created_at: number;
  expires_at: number;
}

export type CodePurpose = 'magic' | 'verify_email' | 'password_reset' | 'email_change';

export interface OneTimeCodesTable {
  id: string;
  purpose: CodePurpose;
  email: string;
  code_hash: string;
  attempts: Generated<number>;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

/** The previous fixed-window counters: no longer written (see migration 0008). */
export interface RateLimitsTable {
  key: string;
  window_start: number;
  count: number;
}

export interface RateLimitGCRATable {
  key: string;
  /** Theoretical arrival time, ms since the epoch (fractional). */
  tat: number;
  /** 1 when the last hit conformed, 0 when it was refused. */
  allowed: number;
}

export interface OrgsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  /** The private JWK sealed with ChaCha20-Poly1305 (AAD binds table, column and kid). */
  private_jwk_sealed: string;
  created_at: number;
  /** When this key becomes the signing key; later than created_at after a rotation. */
  activates_at: number;
}

export interface LockoutsTable {
  key: string;
  failures: number;
  window_start: number;
  locked_until: number;
}

export interface OAuthStatesTable {
  state_hash: string;
  provider: string;
  code_verifier_sealed: string;
  nonce: string;
  callback: string | null;
  created_at: number;
  expires_at: number;
  /** The account linking the provider to itself (migration 0015); null for a sign-in. */
  link_user_id: string | null;
}

export interface IdentitiesTable {
  provider: string;
  subject: string;
  user_id: string;
  email: string | null;
  created_at: number;
}

export type OrgRole = 'owner' | 'admin' | 'member';

export interface OrgMembersTable {
  org_id: string;
  user_id: string;
  role: OrgRole;
  joined_at: number;
}

export interface OrgInvitesTable {
  id: string;
  org_id: string;
  email: string;
  role: OrgRole;
  token_hash: string;
  invited_by: string;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
  accepted_by: string | null;
}

export type AppStatus = 'active' | 'disabled';

export interface AppsTable {
  org_id: string;
  id: string;
  name: string;
  owner: string;
  description: string | null;
  status: AppStatus;
  token_hash: string;
  current_version: number | null;
  pending_version: number | null;
  created_at: number;
  token_rotated_at: number;
  /** The MCP server URL (RFC 8707 resource) tokens for this app are issued to (migration 0018). */
  resource: string | null;
}

export interface SchemaVersionsTable {
  org_id: string;
  app_id: string;
  version: number;
  version_tag: string;
  /** The prepared schema as pushed (canonical JSON). */
  prepared: string;
  /** JSON object: archetype name → its sorted capabilities, inherits resolved. */
  expanded: string;
  pushed_by: string;
  pushed_at: number;
}

export interface GrantsTable {
  org_id: string;
  app_id: string;
  email_hash: string;
  email: string | null;
  archetype: string;
  /** JSON array of extra capabilities. */
  capabilities: string;
  granted_at: number;
  granted_by: string;
}

export interface BootstrapClaimsTable {
  org_id: string;
  email: string;
  claimed_at: number;
}

export interface TOTPFactorsTable {
  user_id: string;
  secret_sealed: string;
  enabled_at: number | null;
  last_step: Generated<number>;
  created_at: number;
}

export interface BackupCodesTable {
  code_hash: string;
  user_id: string;
  created_at: number;
  used_at: number | null;
}

export interface MFAChallengesTable {
  token_hash: string;
  user_id: string;
  /** The first factor that succeeded (audited with the session it leads to). */
  method: string;
  kind: SessionKind;
  attempts: Generated<number>;
  expires_at: number;
}

export interface APIKeysTable {
  id: string;
  user_id: string;
  name: string | null;
  /** HMAC-SHA256 of the secret under the API key pepper. */
  secret_hash: string;
  /** JSON array; empty means the owner's full rights. */
  scopes: string;
  expires_at: number | null;
  created_at: number;
  last_used_at: number | null;
}

export interface TrustedDevicesTable {
  id: string;
  user_id: string;
  /** SHA-256 (hex) of the `pylon_trusted_device` cookie's token. */
  token_hash: string;
  /** The user agent that asked to be trusted. */
  label: string | null;
  created_at: number;
  last_used_at: number | null;
  expires_at: number;
}

export type DeviceStatus = 'pending' | 'approved' | 'denied' | 'consumed';

export interface DeviceAuthorizationsTable {
  device_code_hash: string;
  /** Normalised: 8 letters, no dash. */
  user_code: string;
  client: string;
  org_id: string;
  status: DeviceStatus;
  user_id: string | null;
  interval_seconds: number;
  last_poll_at: number | null;
  created_at: number;
  expires_at: number;
  /** The address the authorisation was asked from (migration 0022; null before it, or unknown). */
  requested_ip: string | null;
}

/** A hosted form's outcome page, kept for its one redirected GET (migration 0023). */
export interface ShownOnceTable {
  /** SHA-256 of the id in the redirect's URL. */
  id_hash: string;
  session_id: string;
  /** `{html, csp, status}` as JSON, sealed under the row's id_hash. */
  content_sealed: string;
  expires_at: number;
}

/** A WebAuthn credential (migration 0012). */
export interface PasskeysTable {
  id: string;
  user_id: string;
  /** base64url of the credential's rawId. */
  credential_id: string;
  /** base64url of the COSE public key. */
  public_key: string;
  counter: number;
  /** JSON array of AuthenticatorTransport values. */
  transports: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

export type PasskeyChallengePurpose = 'register' | 'login';

export interface PasskeyChallengesTable {
  /** SHA-256 (base64url) of the challenge. */
  challenge_hash: string;
  purpose: PasskeyChallengePurpose;
  /** The session id (register) or the SHA-256 of the flow cookie's binding (login). */
  bound_to: string;
  /** The account a registration, or a sign-in by email, is for; null for a discoverable sign-in. */
  user_id: string | null;
  expires_at: number;
}

/** A counter bumped with every change to what anyone holds in an org (`*`: the deployment). */
export interface CapabilityVersionsTable {
  org_id: string;
  version: number;
}
