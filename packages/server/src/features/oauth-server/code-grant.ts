import type { AppContext } from '../../http/context.js';
import { requestAPIURL } from '../../http/org-hosts.js';
import { appForResource } from './authorization-request.js';
import { authenticateClient } from './client-auth.js';
import type { OAuthClient } from './clients.js';
import type { OAuthServerContext } from './context.js';
import { type Grant, hasScope } from './grant.js';
import { OAuthError } from './oauth-error.js';
import { capabilitiesOf, loadPerson } from './person.js';
import { verifierMatches } from './pkce.js';
import { refreshedScope } from './scopes.js';
import type { TokenGrant, TokenParams } from './token-grant.js';
import { mintAccessToken, mintIdToken } from './tokens.js';

/**
 * The access token (and id_token for `openid`) of a grant, with the app's capabilities as they are
 * now: each refresh recomputes them, so a grant change reaches the next access token.
 */
export async function answerTokens(
  c: AppContext,
  context: OAuthServerContext,
  input: {
    grant: Grant;
    client: OAuthClient;
    /** Made once every check passed, so a refused request leaves no token behind. */
    refreshToken: () => Promise<string>;
    nonce: string | null;
    withIdToken: boolean;
  },
): Promise<Response> {
  const { services } = context;
  const { grant } = input;
  // The grant's sign-in: a code or refresh token from before a disable stays refused after an enable.
  const person = await loadPerson(context, grant.userId, { issuedAt: grant.authTime });
  if (!person) throw new OAuthError('invalid_grant', 'The account is no longer active');
  let app: { id: string; caps: readonly string[] } | null = null;
  if (grant.resource !== null) {
    const target = await appForResource(context, grant.orgId, grant.resource);
    const caps = target ? await capabilitiesOf(context, grant.orgId, target.id, person) : null;
    if (!target || caps === null)
      throw new OAuthError('invalid_target', 'The resource is no longer served here');
    app = { id: target.id, caps };
  }
  const issuer = requestAPIURL(c, services.config);
  const access = await mintAccessToken(services, {
    issuer,
    grant,
    app,
    ttlSeconds: services.config.oauthServer.accessTokenTTLSeconds,
  });
  const idToken =
    input.withIdToken && hasScope(grant, 'openid')
      ? await mintIdToken(services, context.idTokenKeys, {
          issuer,
          grant,
          person,
          nonce: input.nonce,
          accessToken: access.token,
          alg: input.client.idTokenAlg,
        })
      : null;
  c.header('Cache-Control', 'no-store');
  c.header('Pragma', 'no-cache');
  return c.json({
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    refresh_token: await input.refreshToken(),
    scope: grant.scope,
    ...(idToken === null ? {} : { id_token: idToken }),
  });
}

/** RFC 6749 §4.1.3 with RFC 7636 §4.5: the code, once, by its client, with the PKCE verifier. */
export function authorizationCodeGrant(context: OAuthServerContext): TokenGrant {
  const { services } = context;
  return {
    grantType: 'authorization_code',
    async handle(c, params: TokenParams) {
      const client = await authenticateClient(c, context, params);
      if (!params.code) throw new OAuthError('invalid_request', 'code is required');
      if (!params.code_verifier) throw new OAuthError('invalid_request', 'code_verifier is required (PKCE)');
      const now = services.clock.now();
      const redeemed = await context.codes.consume(c.get('orgId'), params.code, now);
      if (redeemed.kind === 'replayed') {
        // RFC 6749 §4.1.2: a code used twice revokes what was issued from it.
        await context.refreshTokens.revokeFamily(redeemed.familyId, now);
        throw new OAuthError('invalid_grant', 'The code was already used');
      }
      if (redeemed.kind === 'invalid')
        throw new OAuthError('invalid_grant', 'The code is not valid or expired');
      const { code } = redeemed;
      if (code.clientId !== client.clientId)
        throw new OAuthError('invalid_grant', 'The code was issued to another client');
      if (params.redirect_uri !== code.redirectURI)
        throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorisation request');
      if (!verifierMatches(params.code_verifier, code.codeChallenge))
        throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
      if (params.resource !== undefined) {
        const asked = await appForResource(context, code.orgId, params.resource);
        if (!asked || asked.resource !== code.resource)
          throw new OAuthError('invalid_target', 'resource is not the one the code was issued for');
      }
      return answerTokens(c, context, {
        grant: code,
        client,
        refreshToken: async () => {
          const token = await context.refreshTokens.startFamily(code, code.familyId, now);
          // RFC 6749 §10.5: the consent the code was issued under was revoked since.
          if (token === null)
            throw new OAuthError('invalid_grant', 'The consent behind the code was revoked');
          return token;
        },
        nonce: code.nonce,
        withIdToken: true,
      });
    },
  };
}

/** RFC 6749 §6 with rotation and reuse detection (RFC 9700 §4.14.2). */
export function refreshTokenGrant(context: OAuthServerContext): TokenGrant {
  const { services } = context;
  return {
    grantType: 'refresh_token',
    async handle(c, params: TokenParams) {
      const client = await authenticateClient(c, context, params);
      if (!params.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is required');
      const now = services.clock.now();
      const orgId = c.get('orgId');
      // Checked against the token's grant before it is spent: a refused request leaves it usable.
      const asked =
        params.resource === undefined ? undefined : await appForResource(context, orgId, params.resource);
      const rotated = await context.refreshTokens.rotate(
        orgId,
        client.clientId,
        params.refresh_token,
        now,
        (grant) => {
          if (refreshedScope(grant.scope, params.scope) === null)
            return new OAuthError('invalid_scope', 'scope asks for more than the grant holds (RFC 6749 §6)');
          if (asked !== undefined && asked?.resource !== grant.resource)
            return new OAuthError('invalid_target', 'resource is not the one the grant is for');
          return null;
        },
      );
      if (rotated.kind === 'refused') throw rotated.reason;
      if (rotated.kind === 'reused')
        throw new OAuthError('invalid_grant', 'The refresh token was already used; its grant is revoked');
      if (rotated.kind === 'revoked') throw new OAuthError('invalid_grant', 'The refresh token was revoked');
      if (rotated.kind === 'invalid') throw new OAuthError('invalid_grant', 'The refresh token is not valid');
      const scope = refreshedScope(rotated.grant.scope, params.scope)!;
      try {
        return await answerTokens(c, context, {
          // A narrower scope is this access token's; the refresh token keeps the grant's (§6).
          grant: { ...rotated.grant, scope },
          client,
          refreshToken: async () => rotated.token,
          nonce: null,
          withIdToken: false,
        });
      } catch (error) {
        // A grant whose person or app is gone ends here, for good.
        if (error instanceof OAuthError) await context.refreshTokens.revokeFamily(rotated.familyId, now);
        throw error;
      }
    },
  };
}
