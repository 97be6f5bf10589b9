/** Per-org single sign-on's tables (OIDC and SAML), part of `Database` in schema.ts. */
export interface SSODatabase {
  sso_connections: SSOConnectionsTable;
  sso_domains: SSODomainsTable;
  sso_states: SSOStatesTable;
  saml_requests: SAMLRequestsTable;
  saml_assertions: SAMLAssertionsTable;
}

export type SSOKind = 'oidc' | 'saml';

export interface SSOConnectionsTable {
  org_id: string;
  kind: SSOKind;
  issuer_url: string | null;
  client_id: string | null;
  client_secret_sealed: string | null;
  /** The IdP's discovery document as fetched when the connection was saved (JSON). */
  discovery_json: string | null;
  idp_entity_id: string | null;
  idp_sso_url: string | null;
  idp_cert_pem: string | null;
  email_attribute: string | null;
  name_attribute: string | null;
  default_role: 'member' | 'admin';
  /** JSON array of lowercased domains. */
  email_domains: string;
  created_at: number;
  updated_at: number;
}

export interface SSODomainsTable {
  domain: string;
  org_id: string;
  created_at: number;
}

export interface SSOStatesTable {
  state_hash: string;
  org_id: string;
  code_verifier_sealed: string;
  nonce: string;
  callback: string;
  error_callback: string;
  created_at: number;
  expires_at: number;
}

export interface SAMLRequestsTable {
  /** SHA-256 of the RelayState sent with the AuthnRequest. */
  relay_state_hash: string;
  org_id: string;
  /** The AuthnRequest's ID: the response's InResponseTo must repeat it. */
  request_id: string;
  callback: string;
  error_callback: string;
  created_at: number;
  expires_at: number;
}

export interface SAMLAssertionsTable {
  org_id: string;
  assertion_id: string;
  /** Milliseconds: until then, the same assertion ID is refused as a replay. */
  expires_at: number;
}
