import { z } from 'zod';
import { isPlainDisplayName, PLAIN_DISPLAY_NAME_MESSAGE } from '../display-text.js';

/**
 * A client's name as the consent page shows it: plain text only (display-text.ts), whichever way
 * the client is registered — the admin API (and so the console and `pylon oauth client create`)
 * and RFC 7591 registration (`invalid_client_metadata`).
 */
const ClientName = z.string().max(200).refine(isPlainDisplayName, { message: PLAIN_DISPLAY_NAME_MESSAGE });

/**
 * Pylon as an OAuth 2.1 authorization server (docs/MCP.md, docs/OIDC.md): the admin API for
 * pre-registered clients and a person's own consents. Times are milliseconds (RBAC surface).
 */
export const CreateOAuthClientRequest = z.object({
  client_name: ClientName.min(1),
  redirect_uris: z.array(z.string().max(2048)).min(1).max(20),
  /** A confidential client gets a secret (shown once) and must authenticate at the token endpoint. */
  confidential: z.boolean().optional(),
  /** OIDC Registration §2; RS256 when omitted. */
  id_token_signed_response_alg: z.enum(['RS256', 'EdDSA']).optional(),
});
export type CreateOAuthClientRequest = z.infer<typeof CreateOAuthClientRequest>;

export const OAuthClientSummary = z.object({
  client_id: z.string(),
  client_name: z.string(),
  redirect_uris: z.array(z.string()),
  confidential: z.boolean(),
  token_endpoint_auth_method: z.enum(['none', 'client_secret_basic']),
  id_token_signed_response_alg: z.enum(['RS256', 'EdDSA']),
  /** `admin`: registered here; `dynamic`: RFC 7591. */
  registered_by: z.enum(['admin', 'dynamic']),
  created_at: z.number(),
});
export type OAuthClientSummary = z.infer<typeof OAuthClientSummary>;

/** The secret is in this answer only. */
export const CreateOAuthClientResponse = OAuthClientSummary.extend({ client_secret: z.string().optional() });
export type CreateOAuthClientResponse = z.infer<typeof CreateOAuthClientResponse>;

export const OAuthClientList = z.object({ clients: z.array(OAuthClientSummary) });
export type OAuthClientList = z.infer<typeof OAuthClientList>;

export const DeleteOAuthClientResponse = z.object({ client_id: z.string(), deleted: z.literal(true) });
export type DeleteOAuthClientResponse = z.infer<typeof DeleteOAuthClientResponse>;

export const OAuthConsent = z.object({
  id: z.string(),
  client_id: z.string(),
  client_name: z.string(),
  /** The MCP server's URL, or the issuer for a sign-in without one. */
  resource: z.string(),
  scope: z.string(),
  created_at: z.number(),
});
export type OAuthConsent = z.infer<typeof OAuthConsent>;

export const OAuthConsentList = z.object({ consents: z.array(OAuthConsent) });
export type OAuthConsentList = z.infer<typeof OAuthConsentList>;

export const RevokeOAuthConsentResponse = z.object({ id: z.string(), revoked: z.literal(true) });
export type RevokeOAuthConsentResponse = z.infer<typeof RevokeOAuthConsentResponse>;

/** RFC 7591 §2 client metadata, the fields this server reads (others are ignored). */
export const DynamicClientRegistrationRequest = z.looseObject({
  redirect_uris: z.array(z.string().max(2048)).min(1).max(20),
  client_name: ClientName.optional(),
  token_endpoint_auth_method: z.string().max(64).optional(),
  grant_types: z.array(z.string().max(200)).max(10).optional(),
  response_types: z.array(z.string().max(64)).max(10).optional(),
  id_token_signed_response_alg: z.string().max(16).optional(),
});
export type DynamicClientRegistrationRequest = z.infer<typeof DynamicClientRegistrationRequest>;
