import { PylonError } from '@pylon/core';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { z } from 'zod';
import type { AppContext } from '../../http/context.js';
import { orgAPIURL, requestAPIURL } from '../../http/org-hosts.js';
import { defineRoute } from '../../http/route-table.js';
import { authenticateClient } from './client-auth.js';
import type { OAuthServerContext } from './context.js';
import { hasScope } from './grant.js';
import { authorizationServerMetadata } from './metadata.js';
import { answeringOAuthErrors, OAuthError } from './oauth-error.js';
import { loadPerson } from './person.js';
import { personClaims } from './tokens.js';

const param = (max: number) => z.string().max(max).optional();
/** Every grant's parameters; which are required is each grant's business. */
const TokenForm = z.looseObject({
  grant_type: param(200),
  code: param(512),
  redirect_uri: param(2048),
  code_verifier: param(256),
  client_id: param(2048),
  client_secret: param(512),
  refresh_token: param(512),
  resource: param(2048),
  scope: param(1000),
  device_code: param(200),
});
const RevocationForm = z.looseObject({
  token: param(8192),
  token_type_hint: param(64),
  client_id: param(2048),
  client_secret: param(512),
});

function strings(body: Record<string, unknown>): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) => [key, typeof value === 'string' ? value : undefined]),
  );
}

export function endpointRoutes(context: OAuthServerContext) {
  const { services } = context;
  const metadata = (c: AppContext) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(authorizationServerMetadata(context, requestAPIURL(c, services.config)));
  };
  const metadataResponses = { 200: { description: 'RFC 8414 / OIDC Discovery metadata' } };

  /** RFC 6750 §3: a refused bearer token says why in WWW-Authenticate, never in detail. */
  const bearerRefused = (c: AppContext, error: 'invalid_token' | 'insufficient_scope') => {
    c.header('WWW-Authenticate', `Bearer realm="pylon", error="${error}"`);
    return c.json(
      { error, error_description: 'The access token is not valid here' },
      error === 'invalid_token' ? 401 : 403,
    );
  };
  /**
   * RFC 6750 §3.1: a request without any bearer token (no Authorization, or another scheme) is
   * told only that one is needed — no error code, no error information.
   */
  const bearerRequired = (c: AppContext) => {
    c.header('WWW-Authenticate', 'Bearer realm="pylon"');
    c.header('Cache-Control', 'no-store');
    return c.body(null, 401);
  };

  const userinfo = async (c: AppContext) => {
    const header = c.req.header('authorization') ?? '';
    if (!/^Bearer(?:\s|$)/i.test(header)) return bearerRequired(c);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1] || match[1].length > 8192) return bearerRefused(c, 'invalid_token');
    const issuer = requestAPIURL(c, services.config);
    let claims: Record<string, unknown>;
    try {
      // The key set and checks that verify every token this deployment signs, with RFC 9068's
      // typ: an id_token or a scoped token is not an access token.
      const verified = await jwtVerify(
        match[1],
        createLocalJWKSet({ keys: await services.keys.publicKeys() }),
        {
          issuer,
          audience: issuer,
          typ: 'at+jwt',
          algorithms: ['EdDSA'],
          currentDate: new Date(services.clock.now()),
        },
      );
      claims = verified.payload as Record<string, unknown>;
    } catch {
      return bearerRefused(c, 'invalid_token');
    }
    const scope = typeof claims.scope === 'string' ? claims.scope : '';
    if (!hasScope({ scope }, 'openid')) return bearerRefused(c, 'insufficient_scope');
    const issuedAt = typeof claims.iat === 'number' ? claims.iat : null;
    const person =
      typeof claims.sub === 'string' ? await loadPerson(context, claims.sub, { issuedAt }) : null;
    if (!person) return bearerRefused(c, 'invalid_token');
    c.header('Cache-Control', 'no-store');
    return c.json({ sub: person.id, ...personClaims(person, scope) });
  };

  return [
    defineRoute({
      method: 'get',
      path: '/.well-known/oauth-authorization-server',
      cors: true,
      summary: "RFC 8414 authorization server metadata of this org's issuer",
      tags: ['oauth-server'],
      responses: metadataResponses,
      handler: metadata,
    }),
    defineRoute({
      method: 'get',
      path: '/.well-known/openid-configuration',
      cors: true,
      summary: "OpenID Connect Discovery 1.0 metadata of this org's issuer",
      tags: ['oauth-server'],
      responses: metadataResponses,
      handler: metadata,
    }),
    defineRoute({
      method: 'get',
      path: '/.well-known/oauth-authorization-server/o/:org',
      cors: true,
      summary: 'RFC 8414 §3.1 metadata by path insertion, for the issuer `{PYLON_PUBLIC_URL}/o/{org}`',
      tags: ['oauth-server'],
      responses: { ...metadataResponses, 404: { description: 'org_not_found' } },
      handler: async (c) => {
        const orgId = c.req.param('org') ?? '';
        if (!(await services.orgs.find(orgId))) throw new PylonError('org_not_found');
        c.header('Cache-Control', 'public, max-age=300');
        return c.json(authorizationServerMetadata(context, orgAPIURL(services.config.publicURL, orgId)));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/oauth/jwks',
      cors: true,
      summary: 'The keys that verify access tokens (EdDSA, as the key set) and id_tokens (EdDSA or RS256)',
      tags: ['oauth-server'],
      responses: { 200: { description: 'A JWK Set (RFC 7517 §5)' } },
      handler: async (c) => {
        c.header('Cache-Control', 'public, max-age=300');
        return c.json({
          keys: [...(await services.keys.publicKeys()), ...(await context.idTokenKeys.publicKeys())],
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/oauth/token',
      cors: true,
      summary:
        'The token endpoint: authorization_code (PKCE), refresh_token (rotated), and the RFC 8628 device grant',
      tags: ['oauth-server'],
      body: TokenForm,
      acceptsForm: true,
      errorShape: 'oauth',
      responses: {
        200: { description: 'RFC 6749 §5.1 token response' },
        400: {
          description:
            'invalid_request, invalid_grant, invalid_target, unsupported_grant_type; the device grant also authorization_pending, slow_down, access_denied, expired_token',
        },
        401: { description: 'invalid_client' },
      },
      handler: (c, { body }) =>
        answeringOAuthErrors(c, async () => {
          const params = strings(body);
          // RFC 6749 §5.2: a missing required parameter is invalid_request, not an unknown grant.
          if (!params.grant_type) throw new OAuthError('invalid_request', 'grant_type is required');
          const grant = context.tokenGrants.find((candidate) => candidate.grantType === params.grant_type);
          if (!grant) throw new OAuthError('unsupported_grant_type', 'This grant_type is not supported');
          return grant.handle(c, params);
        }),
    }),
    defineRoute({
      method: 'post',
      path: '/oauth/revoke',
      cors: true,
      summary: 'RFC 7009 token revocation: a refresh token and its whole family',
      tags: ['oauth-server'],
      body: RevocationForm,
      acceptsForm: true,
      errorShape: 'oauth',
      responses: {
        200: { description: 'Revoked, or not a token of this client (RFC 7009 §2.2: the same answer)' },
        400: { description: 'invalid_request' },
        401: { description: 'invalid_client' },
      },
      handler: (c, { body }) =>
        answeringOAuthErrors(c, async () => {
          const params = strings(body);
          const client = await authenticateClient(c, context, params);
          if (!params.token) throw new OAuthError('invalid_request', 'token is required');
          // Access tokens are short-lived JWTs verified offline: only the refresh family can go.
          await context.refreshTokens.revoke(
            c.get('orgId'),
            client.clientId,
            params.token,
            services.clock.now(),
          );
          c.header('Cache-Control', 'no-store');
          return c.body(null, 200);
        }),
    }),
    defineRoute({
      method: 'get',
      path: '/oauth/userinfo',
      cors: true,
      summary: 'OIDC Core §5.3 UserInfo: the claims the access token’s scope releases',
      tags: ['oauth-server'],
      responses: {
        200: { description: '`{sub, email?, email_verified?, name?}`' },
        401: {
          description:
            'invalid_token (RFC 6750 §3, in WWW-Authenticate); without a bearer token, `Bearer realm="pylon"` and no error (§3.1)',
        },
        403: { description: 'insufficient_scope: the token was not granted `openid`' },
      },
      errorShape: 'oauth',
      handler: userinfo,
    }),
    defineRoute({
      method: 'post',
      path: '/oauth/userinfo',
      cors: true,
      summary: 'OIDC Core §5.3 UserInfo (POST, same answer)',
      tags: ['oauth-server'],
      responses: {
        200: { description: '`{sub, email?, email_verified?, name?}`' },
        401: { description: 'invalid_token; without a bearer token, no error (RFC 6750 §3.1)' },
        403: { description: 'insufficient_scope' },
      },
      errorShape: 'oauth',
      handler: userinfo,
    }),
  ];
}
