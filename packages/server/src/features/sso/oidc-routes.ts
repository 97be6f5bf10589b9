import { PylonError } from '@pylon/core';
import {
  OIDCConnectionView,
  PutOIDCRequest,
  type SSOCallbackQuery,
  SSOCallbackQuery as SSOCallbackQuerySchema,
  SSOStartQuery,
} from '@pylon/core/wire';
import type { AppContext } from '../../http/context.js';
import {
  bindingMatchesState,
  clearFlowCookie,
  readFlowCookie,
  setFlowCookie,
} from '../../http/flow-binding.js';
import { withParams } from '../../http/redirect-url.js';
import { defineRoute } from '../../http/route-table.js';
import { answerCallbackRefusal } from '../../pages/callback-refusal.js';
import { limitSignInsByIP } from '../identity/identity.js';
import { clientIP, requestFacts } from '../identity/route-helpers.js';
import { setSessionCookie } from '../identity/session-cookie.js';
import { actorName, orgActor } from '../orgs/org-access.js';
import { requireOwner } from '../orgs/policy.js';
import { auditSSOChange, connectionRoutes, orgIdOf } from './connection-routes.js';
import { SSOProtocolError } from './oidc-client.js';
import type { SSOContext } from './sso-context.js';
import {
  checkEmailDomains,
  requireClaimableDomains,
  requireDefaultRole,
  requireSecureIdPURL,
  requireTrustedRedirect,
  ssoRedirectURI,
} from './sso-rules.js';
import { completeSSOSignIn } from './sso-sign-in.js';
import type { OIDCConnection } from './sso-store.js';

/** The flow cookie's kind (http/flow-binding.ts). */
const FLOW = 'sso';
/** A pending sign-in lives 10 minutes: long enough for an IdP login with MFA, short for a leaked state. */
const STATE_TTL_SECONDS = 10 * 60;

const seconds = (ms: number) => Math.floor(ms / 1000);

const stringOrNull = (value: unknown) => (typeof value === 'string' ? value : null);

/**
 * Per-org OIDC: configuration (`/orgs/:id/sso`, owners write, members read a redacted view) and
 * the sign-in (`/orgs/:id/sso/start`, `/orgs/:id/sso/callback`).
 */
export function oidcRoutes(context: SSOContext) {
  const { services, store, oidc } = context;
  const { config } = services;

  function view(connection: OIDCConnection): OIDCConnectionView {
    const { discovery } = connection;
    return {
      org_id: connection.orgId,
      kind: 'oidc',
      issuer_url: connection.issuerURL,
      client_id: connection.clientId,
      client_secret_set: true,
      default_role: connection.defaultRole,
      email_domains: connection.emailDomains,
      redirect_uri: ssoRedirectURI(config, connection.orgId),
      authorization_endpoint: stringOrNull(discovery.authorization_endpoint),
      token_endpoint: stringOrNull(discovery.token_endpoint),
      userinfo_endpoint: stringOrNull(discovery.userinfo_endpoint),
      jwks_uri: stringOrNull(discovery.jwks_uri),
      created_at: seconds(connection.createdAt),
      updated_at: seconds(connection.updatedAt),
    };
  }

  async function requireConnection(orgId: string): Promise<OIDCConnection> {
    const connection = await store.getOIDC(orgId);
    if (!connection) throw new PylonError('SSO_NOT_CONFIGURED');
    return connection;
  }

  /** parse → check the fields → check the issuer → discover → store (domain claims) → audit → answer. */
  async function configure(c: AppContext, orgId: string, body: PutOIDCRequest): Promise<Response> {
    const actor = await orgActor(c, services, context.orgs, orgId);
    requireOwner(actor, 'configure SSO');
    const issuerRaw = body.issuer_url?.trim() ?? '';
    const clientId = body.client_id?.trim() ?? '';
    const clientSecret = body.client_secret ?? '';
    const missing = [
      ['issuer_url', issuerRaw],
      ['client_id', clientId],
      ['client_secret', clientSecret],
    ].filter(([, value]) => value === '');
    if (missing.length > 0) {
      throw new PylonError('MISSING_FIELDS', {
        message: `Required: ${missing.map(([name]) => name).join(', ')}`,
      });
    }
    const defaultRole = requireDefaultRole(body.default_role);
    const emailDomains = checkEmailDomains(body.email_domains ?? [], config.ssoAllowedDomains);
    // Before the IdP is fetched; the store checks it again where the claim is made.
    requireClaimableDomains(config.ssoAllowedDomains, orgId, emailDomains);
    const issuer = requireSecureIdPURL(issuerRaw, config, 'issuer_url');
    const discovery = await oidc.discover(issuer);
    const issuerURL = typeof discovery.issuer === 'string' ? discovery.issuer : issuer.href;
    const now = services.clock.now();
    await store.putOIDC(
      { orgId, issuerURL, clientId, clientSecret, defaultRole, emailDomains, discovery },
      now,
    );
    await auditSSOChange(context, c, orgId, 'sso.configured', actorName(actor), {
      kind: 'oidc',
      issuer_url: issuerURL,
      client_id: clientId,
      default_role: defaultRole,
      email_domains: emailDomains,
    });
    return c.json(view(await requireConnection(orgId)));
  }

  /**
   * consume the state (bound to the browser and the org) → exchange the code → sign in → back
   * to the callback with the session cookie. Once the state is known good, every failure goes to
   * the error_callback as `?sso_error=CODE&sso_error_message=…`.
   */
  async function callback(c: AppContext, orgId: string, query: SSOCallbackQuery): Promise<Response> {
    const now = services.clock.now();
    const bound =
      query.state !== undefined && bindingMatchesState(readFlowCookie(c, config, FLOW), query.state);
    const pending = bound ? await store.consumeState(orgId, query.state!, now) : null;
    if (!pending) throw new PylonError('INVALID_SSO_STATE');
    clearFlowCookie(c, config, FLOW);
    try {
      const redirectURI = ssoRedirectURI(config, orgId);
      if (redirectURI === null) throw new PylonError('REDIRECT_URI_UNAVAILABLE');
      const connection = await requireConnection(orgId);
      if (query.error !== undefined || query.code === undefined) {
        throw new PylonError('SSO_SIGN_IN_FAILED', {
          message: 'The identity provider did not grant the sign-in',
        });
      }
      const clientSecret = await store.openClientSecret(orgId);
      if (clientSecret === null) throw new PylonError('SSO_NOT_CONFIGURED');
      // The URL the IdP redirected to, rebuilt on the registered redirect URI: the request's own
      // URL may name an internal host behind a proxy.
      const callbackURL = new URL(redirectURI);
      for (const [name, value] of new URL(c.req.url).searchParams)
        callbackURL.searchParams.append(name, value);
      const profile = await oidc
        .exchange(
          {
            issuerURL: connection.issuerURL,
            clientId: connection.clientId,
            clientSecret,
            discovery: connection.discovery,
          },
          { callbackURL, state: query.state!, nonce: pending.nonce, codeVerifier: pending.codeVerifier },
        )
        .catch((error: unknown) => {
          if (!(error instanceof SSOProtocolError)) throw error;
          services.logger.warn(
            { requestId: c.get('requestId'), org: orgId, reason: error.message },
            'sso token exchange failed',
          );
          throw new PylonError('SSO_SIGN_IN_FAILED');
        });
      const outcome = await completeSSOSignIn(context, await requestFacts(c, services), {
        orgId,
        issuer: profile.issuer,
        subject: profile.subject,
        email: profile.email,
        emailVerified: profile.emailVerified,
        name: profile.name,
        defaultRole: connection.defaultRole,
        emailDomains: connection.emailDomains,
        method: 'org_sso',
      });
      // A second factor is still due: the callback's page posts it to /totp/challenge, as after
      // social sign-in.
      if (outcome.kind === 'mfa_required') {
        return c.redirect(withParams(pending.callback, { mfa_token: outcome.mfaToken }), 302);
      }
      setSessionCookie(c, config, outcome.token, outcome.expiresAt);
      return c.redirect(pending.callback, 302);
    } catch (error) {
      if (!(error instanceof PylonError)) throw error;
      return c.redirect(
        withParams(pending.errorCallback, { sso_error: error.code, sso_error_message: error.message }),
        302,
      );
    }
  }

  return [
    ...connectionRoutes(context, {
      kind: 'oidc',
      path: '/orgs/:id/sso',
      readSummary: "The org's OIDC connection, redacted (any member)",
      viewSchema: OIDCConnectionView,
      view: async (orgId) => view(await requireConnection(orgId)),
    }),
    defineRoute({
      method: 'put',
      path: '/orgs/:id/sso',
      summary: "Configure the org's OIDC identity provider (owners)",
      tags: ['sso'],
      security: ['session', 'sessionCookie'],
      body: PutOIDCRequest,
      responses: {
        200: { description: 'The connection, redacted', schema: OIDCConnectionView },
        400: {
          description:
            'MISSING_FIELDS, BAD_DEFAULT_ROLE, DOMAIN_BLOCKLISTED, DOMAIN_NOT_ALLOWED, DISCOVERY_FAILED, INSECURE_SSO_URL or VALIDATION_FAILED',
        },
        403: { description: 'FORBIDDEN: only owners configure SSO' },
        404: { description: 'ORG_NOT_FOUND: no such org, or the caller is no member' },
        409: { description: 'DOMAIN_ALREADY_CLAIMED: another org claimed one of the email domains' },
        500: { description: 'SSO_SECRET_SEAL_FAILED' },
      },
      handler: (c, { body }) => configure(c, orgIdOf(c), body),
    }),
    defineRoute({
      method: 'get',
      path: '/orgs/:id/sso/start',
      summary: "Begin a sign-in at the org's OIDC IdP: 302 with PKCE S256, a single-use state and a nonce",
      tags: ['sso'],
      query: SSOStartQuery,
      responses: {
        302: { description: "To the IdP's authorization endpoint, with the flow cookie set" },
        400: { description: 'MISSING_FIELDS: callback is required' },
        403: { description: 'UNTRUSTED_REDIRECT: callback or error_callback is not on a trusted origin' },
        404: { description: 'SSO_NOT_CONFIGURED' },
        429: { description: 'RATE_LIMITED: too many sign-ins from this address' },
        500: { description: 'REDIRECT_URI_UNAVAILABLE: PYLON_PUBLIC_URL cannot serve as the redirect URI' },
      },
      handler: async (c, { query }) => {
        const orgId = orgIdOf(c);
        // Each start stores a pending sign-in: throttled per address like every sign-in endpoint.
        await limitSignInsByIP(context.identity, clientIP(c, services), services.clock.now());
        if (!query.callback) throw new PylonError('MISSING_FIELDS', { message: 'Required: callback' });
        const callbackTarget = requireTrustedRedirect(query.callback, config);
        const errorCallback = query.error_callback
          ? requireTrustedRedirect(query.error_callback, config)
          : callbackTarget;
        const redirectURI = ssoRedirectURI(config, orgId);
        if (redirectURI === null) throw new PylonError('REDIRECT_URI_UNAVAILABLE');
        const connection = await requireConnection(orgId);
        const pending = await store.createState({
          orgId,
          callback: callbackTarget,
          errorCallback,
          now: services.clock.now(),
          ttlSeconds: STATE_TTL_SECONDS,
        });
        const target = oidc.authorizationURL(
          {
            issuerURL: connection.issuerURL,
            clientId: connection.clientId,
            clientSecret: null,
            discovery: connection.discovery,
          },
          { redirectURI, state: pending.state, nonce: pending.nonce, codeChallenge: pending.codeChallenge },
        );
        setFlowCookie(c, config, FLOW, pending.binding, STATE_TTL_SECONDS);
        return c.redirect(target.toString(), 302);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/orgs/:id/sso/callback',
      summary: 'The IdP returns here with `code` and `state`',
      tags: ['sso'],
      query: SSOCallbackQuerySchema,
      responses: {
        302: {
          description:
            'To the callback, signed in (cookie set), or to the error_callback with `?sso_error=CODE&sso_error_message=…`',
        },
        403: {
          description:
            'INVALID_SSO_STATE: unknown, expired, used, another org’s, or not the browser that started; a browser (Accept: text/html) gets it as an HTML page naming the code',
        },
      },
      handler: (c, { query }) => answerCallbackRefusal(c, () => callback(c, orgIdOf(c), query)),
    }),
  ];
}
