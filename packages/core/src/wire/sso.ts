// Per-org SSO (`/api/auth/orgs/:id/sso*`, `/api/auth/sso/discover`); `*_at` in seconds.
import { z } from 'zod';

/**
 * `PUT /orgs/:id/sso`. Every field is optional here so that a missing one answers the documented
 * MISSING_FIELDS rather than a generic validation error; `default_role` is checked by the server
 * (BAD_DEFAULT_ROLE).
 */
export const PutOIDCRequest = z.object({
  issuer_url: z.string().max(2048).optional(),
  client_id: z.string().max(1024).optional(),
  client_secret: z.string().max(4096).optional(),
  default_role: z.string().max(32).optional(),
  email_domains: z.array(z.string().max(253)).max(100).optional(),
});
export type PutOIDCRequest = z.infer<typeof PutOIDCRequest>;

/** The OIDC connection as any member may read it: never the client secret. */
export const OIDCConnectionView = z.object({
  org_id: z.string(),
  kind: z.literal('oidc'),
  issuer_url: z.string(),
  client_id: z.string(),
  client_secret_set: z.literal(true),
  default_role: z.enum(['member', 'admin']),
  email_domains: z.array(z.string()),
  redirect_uri: z.string().nullable(),
  authorization_endpoint: z.string().nullable(),
  token_endpoint: z.string().nullable(),
  userinfo_endpoint: z.string().nullable(),
  jwks_uri: z.string().nullable(),
  /** Seconds since the epoch. */
  created_at: z.number(),
  updated_at: z.number(),
});
export type OIDCConnectionView = z.infer<typeof OIDCConnectionView>;

export const RemoveSSOResponse = z.object({
  org_id: z.string(),
  kind: z.enum(['oidc', 'saml']),
  removed: z.literal(true),
});

export const SSOStartQuery = z.object({
  callback: z.string().max(2048).optional(),
  error_callback: z.string().max(2048).optional(),
});
export type SSOStartQuery = z.infer<typeof SSOStartQuery>;

/** The IdP's answer (OpenID Connect Core 1.0 §3.1.2.5, §3.1.2.6; RFC 9207 `iss`). */
export const SSOCallbackQuery = z.object({
  code: z.string().max(4096).optional(),
  state: z.string().max(512).optional(),
  iss: z.string().max(2048).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(1024).optional(),
});
export type SSOCallbackQuery = z.infer<typeof SSOCallbackQuery>;

export const SSODiscoverQuery = z.object({ email: z.string().max(320).optional() });
export type SSODiscoverQuery = z.infer<typeof SSODiscoverQuery>;

export const SSODiscoverResponse = z.object({
  org_id: z.string(),
  kind: z.enum(['oidc', 'saml']),
  start_url: z.string(),
});
export type SSODiscoverResponse = z.infer<typeof SSODiscoverResponse>;

/**
 * Either connection as the `pylon` CLI reads it (`GET /orgs/:id/sso` or `/saml`): the org and
 * the kind, the rest printed as the server sent it.
 */
export const SSOConnectionSummary = z
  .object({ org_id: z.string(), kind: z.enum(['oidc', 'saml']) })
  .catchall(z.unknown());
export type SSOConnectionSummary = z.infer<typeof SSOConnectionSummary>;
