/** The authorization server's tables (migration 0018), part of `Database` in schema.ts. */

/** An OAuth client registered ahead by an org admin (`admin`) or by RFC 7591 (`dynamic`). */
export interface OAuthClientsTable {
  client_id: string;
  org_id: string;
  client_name: string;
  /** JSON array of the exact redirect URIs. */
  redirect_uris: string;
  /** SHA-256 of a confidential client's secret; null for a public client. */
  secret_hash: string | null;
  origin: 'admin' | 'dynamic';
  /** The id_token algorithm the client verifies: RS256 (OIDC's default) or EdDSA. */
  id_token_alg: 'RS256' | 'EdDSA';
  created_at: number;
}

/** A person's remembered consent for a client and resource (migration 0018). */
export interface OAuthConsentsTable {
  id: string;
  org_id: string;
  user_id: string;
  client_id: string;
  client_name: string;
  resource: string;
  scope: string;
  created_at: number;
}

/** An authorisation code, by its SHA-256 (migration 0018). */
export interface OAuthCodesTable {
  code_hash: string;
  org_id: string;
  client_id: string;
  user_id: string;
  consent_id: string | null;
  redirect_uri: string;
  resource: string | null;
  scope: string;
  code_challenge: string;
  nonce: string | null;
  /** Seconds since the epoch: when the person signed in (OIDC `auth_time`). */
  auth_time: number;
  /** JSON array of RFC 8176 method references. */
  amr: string;
  family_id: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

/** A refresh token, by its SHA-256, in a rotation family (migration 0018). */
export interface OAuthRefreshTokensTable {
  token_hash: string;
  family_id: string;
  org_id: string;
  client_id: string;
  user_id: string;
  consent_id: string | null;
  resource: string | null;
  scope: string;
  auth_time: number;
  amr: string;
  created_at: number;
  expires_at: number;
  rotated_at: number | null;
  revoked_at: number | null;
}

/** A consent page shown and not yet answered (migration 0024). */
export interface OAuthConsentPromptsTable {
  /** SHA-256 of the page's form token (the hash of the browser's flow-cookie binding). */
  state_hash: string;
  user_id: string;
  expires_at: number;
}

/** The RS256 id_token signing key (migration 0018). */
export interface IdTokenKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk_sealed: string;
  created_at: number;
}

/** The authorization server's part of `Database` (schema.ts extends it). */
export interface OAuthServerDatabase {
  oauth_clients: OAuthClientsTable;
  oauth_consents: OAuthConsentsTable;
  oauth_consent_prompts: OAuthConsentPromptsTable;
  oauth_codes: OAuthCodesTable;
  oauth_refresh_tokens: OAuthRefreshTokensTable;
  id_token_keys: IdTokenKeysTable;
}
