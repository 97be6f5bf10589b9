import type { AppContext } from '../../http/context.js';

/** The token endpoint's parameters (RFC 6749 §4.1.3, §6; RFC 8628 §3.4; RFC 8707 §2.2). */
export type TokenParams = Readonly<Record<string, string | undefined>>;

/**
 * One grant type the token endpoint (`POST {issuer}/oauth/token`) answers. Features that issue
 * tokens through it register their grant in `FeatureDeps.tokenGrants` (device login registers the
 * RFC 8628 device grant); the authorization server owns the endpoint and its metadata, and
 * dispatches on `grant_type`.
 */
export interface TokenGrant {
  grantType: string;
  /** What this grant adds to the RFC 8414 metadata (e.g. `device_authorization_endpoint`). */
  metadata?(issuer: string): Record<string, unknown>;
  /** Answer the request; an OAuthError thrown here is rendered in RFC 6749 §5.2's shape. */
  handle(c: AppContext, params: TokenParams): Promise<Response>;
}
