import { PROMPT_VALUES } from './authorization-request.js';
import type { OAuthServerContext } from './context.js';
import { SUPPORTED_SCOPES } from './scopes.js';

/**
 * RFC 8414 §2 authorization server metadata, which is also the OIDC Discovery 1.0 §3 document:
 * exactly what this server supports, every endpoint under the org's issuer.
 */
export function authorizationServerMetadata(
  context: OAuthServerContext,
  issuer: string,
): Record<string, unknown> {
  const grants = context.tokenGrants;
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    ...(context.services.config.oauthServer.dynamicRegistration
      ? { registration_endpoint: `${issuer}/oauth/register` }
      : {}),
    revocation_endpoint: `${issuer}/oauth/revoke`,
    userinfo_endpoint: `${issuer}/oauth/userinfo`,
    jwks_uri: `${issuer}/oauth/jwks`,
    ...Object.assign({}, ...grants.map((grant) => grant.metadata?.(issuer) ?? {})),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: grants.map((grant) => grant.grantType),
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
    scopes_supported: [...SUPPORTED_SCOPES],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['EdDSA', 'RS256'],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'amr',
      'azp',
      'email',
      'email_verified',
      'name',
    ],
    prompt_values_supported: [...PROMPT_VALUES],
    // OIDC Discovery §3: request_uri_parameter_supported means true when left out.
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
  };
}
