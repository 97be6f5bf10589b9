import { X509Certificate } from 'node:crypto';
import { PylonError } from '@pylon/core';
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
import { isOrgId, requireOwner } from '../orgs/policy.js';
import { auditSSOChange, connectionRoutes, orgIdOf } from './connection-routes.js';
import { buildAuthnRequest, redirectBindingURL } from './saml/authn-request.js';
import { buildSPMetadata } from './saml/metadata.js';
import { SAMLValidationError, validateSAMLResponse } from './saml/response-validation.js';
import { NAMEID_EMAIL } from './saml/xml.js';
import { parseCertificate, samlEndpoints } from './saml-config.js';
import { PutSAMLRequest, SAMLACSForm, SAMLConnectionView } from './saml-schemas.js';
import { SAMLStore } from './saml-store.js';
import type { SSOContext } from './sso-context.js';
import {
  checkEmailDomains,
  requireDefaultRole,
  requireSecureIdPURL,
  requireTrustedRedirect,
} from './sso-rules.js';
import { SSOStartQuery } from './sso-schemas.js';
import { completeSSOSignIn } from './sso-sign-in.js';
import type { SAMLConnection } from './sso-store.js';

/** The flow cookie's kind (http/flow-binding.ts); its own, so a SAML and an OIDC start do not collide. */
const FLOW = 'saml';
/** A pending request lives 10 minutes: long enough for an IdP login with MFA. */
const REQUEST_TTL_SECONDS = 10 * 60;
/**
 * The ACS body limit. Real responses are a few KiB (a signed assertion with a certificate and a
 * few dozen attributes stays under 32 KiB); twice that is refused before it is parsed. What gets
 * through is bounded again in elements and depth (saml/dom.ts) before any signature work.
 */
export const ACS_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Per-org SAML 2.0 SP: configuration (`/orgs/:id/saml`), SP-initiated sign-in over HTTP-Redirect
 * (`/saml/start`), the HTTP-POST ACS (`/saml/acs`) and the SP metadata (`/saml/metadata`).
 * IdP-initiated (unsolicited) responses are refused: every response must answer a request the
 * same browser started.
 */
export function samlRoutes(context: SSOContext) {
  const { services, store } = context;
  const { config } = services;
  const saml = new SAMLStore(services.storage.db, services.random);

  function view(connection: SAMLConnection): SAMLConnectionView {
    const certificate = new X509Certificate(connection.idpCertPEM);
    const endpoints = samlEndpoints(config, connection.orgId);
    return {
      org_id: connection.orgId,
      kind: 'saml',
      idp_entity_id: connection.idpEntityId,
      idp_sso_url: connection.idpSSOURL,
      idp_x509_cert_pem: connection.idpCertPEM,
      idp_cert_sha256: certificate.fingerprint256,
      idp_cert_not_after: Math.floor(Date.parse(certificate.validTo) / 1000),
      default_role: connection.defaultRole,
      email_domains: connection.emailDomains,
      email_attribute: connection.emailAttribute,
      name_attribute: connection.nameAttribute,
      sp_entity_id: endpoints?.spEntityID ?? null,
      acs_url: endpoints?.acsURL ?? null,
    };
  }

  async function requireConnection(orgId: string): Promise<SAMLConnection> {
    const connection = await store.getSAML(orgId);
    if (!connection) throw new PylonError('SSO_NOT_CONFIGURED');
    return connection;
  }

  function requireEndpoints(orgId: string) {
    const endpoints = samlEndpoints(config, orgId);
    if (endpoints === null) throw new PylonError('REDIRECT_URI_UNAVAILABLE');
    return endpoints;
  }

  /** parse → check the fields → store (domain claims) → audit → answer. */
  async function configure(c: AppContext, orgId: string, body: PutSAMLRequest): Promise<Response> {
    const actor = await orgActor(c, services, context.orgs, orgId);
    requireOwner(actor, 'configure SSO');
    const entityId = body.idp_entity_id?.trim() ?? '';
    const ssoURL = body.idp_sso_url?.trim() ?? '';
    const certRaw = body.idp_x509_cert_pem?.trim() ?? '';
    const missing = [
      ['idp_entity_id', entityId],
      ['idp_sso_url', ssoURL],
      ['idp_x509_cert_pem', certRaw],
    ].filter(([, value]) => value === '');
    if (missing.length > 0) {
      throw new PylonError('MISSING_FIELDS', {
        message: `Required: ${missing.map(([name]) => name).join(', ')}`,
      });
    }
    const defaultRole = requireDefaultRole(body.default_role);
    const idpSSOURL = requireSecureIdPURL(ssoURL, config, 'idp_sso_url').href;
    const { pem } = parseCertificate(certRaw);
    const emailDomains = checkEmailDomains(body.email_domains ?? [], config.ssoAllowedDomains);
    const optional = (value: string | null | undefined) => (value?.trim() ? value.trim() : null);
    const connection: SAMLConnection = {
      orgId,
      idpEntityId: entityId,
      idpSSOURL,
      idpCertPEM: pem,
      defaultRole,
      emailDomains,
      emailAttribute: optional(body.email_attribute),
      nameAttribute: optional(body.name_attribute),
    };
    await store.putSAML(connection, services.clock.now());
    await auditSSOChange(context, c, orgId, 'sso.configured', actorName(actor), {
      kind: 'saml',
      idp_entity_id: entityId,
      idp_sso_url: idpSSOURL,
      idp_cert_sha256: new X509Certificate(pem).fingerprint256,
      default_role: defaultRole,
      email_domains: emailDomains,
      email_attribute: connection.emailAttribute,
      name_attribute: connection.nameAttribute,
    });
    return c.json(view(await requireConnection(orgId)));
  }

  /** Check the callbacks → create the pending request → 302 to the IdP with SAMLRequest and RelayState. */
  async function start(c: AppContext, orgId: string, query: SSOStartQuery): Promise<Response> {
    // Each start stores a pending request: throttled per address, as every sign-in start is.
    await limitSignInsByIP(context.identity, clientIP(c, services), services.clock.now());
    if (!query.callback) throw new PylonError('MISSING_FIELDS', { message: 'Required: callback' });
    const callback = requireTrustedRedirect(query.callback, config);
    const errorCallback = query.error_callback
      ? requireTrustedRedirect(query.error_callback, config)
      : callback;
    const endpoints = requireEndpoints(orgId);
    const connection = await requireConnection(orgId);
    const now = services.clock.now();
    const pending = await saml.createRequest({
      orgId,
      callback,
      errorCallback,
      now,
      ttlSeconds: REQUEST_TTL_SECONDS,
    });
    const request = buildAuthnRequest({
      requestID: pending.requestID,
      issueInstant: now,
      destination: connection.idpSSOURL,
      acsURL: endpoints.acsURL,
      spEntityID: endpoints.spEntityID,
      // The email is the NameID unless an attribute carries it: then any NameID format will do.
      nameIDFormat: connection.emailAttribute === null ? NAMEID_EMAIL : null,
    });
    setFlowCookie(c, config, FLOW, pending.binding, REQUEST_TTL_SECONDS);
    return c.redirect(redirectBindingURL(connection.idpSSOURL, request, pending.relayState), 302);
  }

  /**
   * consume the pending request (bound to this browser and org) → validate the response → use the
   * assertion once → sign in → back to the callback with the session cookie. Once the request is
   * known good, every failure goes to the error_callback as `?sso_error=CODE&sso_error_message=…`.
   */
  async function acs(c: AppContext, orgId: string, form: SAMLACSForm): Promise<Response> {
    const now = services.clock.now();
    const relayState = form.RelayState;
    const bound =
      relayState !== undefined && bindingMatchesState(readFlowCookie(c, config, FLOW), relayState);
    const pending = bound ? await saml.consumeRequest(orgId, relayState!, now) : null;
    // No request of this browser: an unsolicited (IdP-initiated) response, another browser's, or a replay.
    if (!pending) throw new PylonError('INVALID_SSO_STATE');
    clearFlowCookie(c, config, FLOW);
    try {
      const endpoints = requireEndpoints(orgId);
      const connection = await requireConnection(orgId);
      if (!form.SAMLResponse)
        throw new PylonError('INVALID_SAML_RESPONSE', { message: 'SAMLResponse is missing' });
      const identity = validate(c, orgId, form.SAMLResponse, now, connection, endpoints, pending.requestID);
      if (!(await saml.consumeAssertion(orgId, identity.assertionID, identity.replayUntil, now))) {
        throw new PylonError('SAML_ASSERTION_REPLAYED');
      }
      const outcome = await completeSSOSignIn(context, await requestFacts(c, services), {
        orgId,
        issuer: identity.issuer,
        subject: identity.nameID,
        email: identity.email,
        // SAML has no email_verified claim: the address comes from the IdP's own directory, and
        // completeSSOSignIn trusts it only inside the domains this org claimed.
        emailVerified: true,
        name: identity.name,
        defaultRole: connection.defaultRole,
        emailDomains: connection.emailDomains,
        method: 'org_sso',
      });
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

  function validate(
    c: AppContext,
    orgId: string,
    samlResponse: string,
    now: number,
    connection: SAMLConnection,
    endpoints: { spEntityID: string; acsURL: string },
    requestID: string,
  ) {
    try {
      return validateSAMLResponse(samlResponse, now, {
        idpEntityID: connection.idpEntityId,
        idpCertPEM: connection.idpCertPEM,
        spEntityID: endpoints.spEntityID,
        acsURL: endpoints.acsURL,
        requestID,
        emailAttribute: connection.emailAttribute,
        nameAttribute: connection.nameAttribute,
      });
    } catch (error) {
      if (!(error instanceof SAMLValidationError)) throw error;
      // The reason is a fixed word; nothing from the response reaches the log.
      services.logger.warn(
        { requestId: c.get('requestId'), org: orgId, reason: error.reason },
        'saml response refused',
      );
      throw new PylonError('INVALID_SAML_RESPONSE', { message: error.message });
    }
  }

  return [
    ...connectionRoutes(context, {
      kind: 'saml',
      path: '/orgs/:id/saml',
      readSummary: "The org's SAML connection (any member; nothing in it is secret)",
      viewSchema: SAMLConnectionView,
      view: async (orgId) => view(await requireConnection(orgId)),
    }),
    defineRoute({
      method: 'put',
      path: '/orgs/:id/saml',
      summary: "Configure the org's SAML 2.0 identity provider (owners)",
      tags: ['sso'],
      security: ['session', 'sessionCookie'],
      body: PutSAMLRequest,
      responses: {
        200: { description: 'The connection', schema: SAMLConnectionView },
        400: {
          description:
            'MISSING_FIELDS, BAD_DEFAULT_ROLE, DOMAIN_BLOCKLISTED, DOMAIN_NOT_ALLOWED, INSECURE_SSO_URL or VALIDATION_FAILED (not a certificate)',
        },
        403: { description: 'FORBIDDEN: only owners configure SSO' },
        404: { description: 'ORG_NOT_FOUND: no such org, or the caller is no member' },
        409: { description: 'DOMAIN_ALREADY_CLAIMED: another org claimed one of the email domains' },
      },
      handler: (c, { body }) => configure(c, orgIdOf(c), body),
    }),
    defineRoute({
      method: 'get',
      path: '/orgs/:id/saml/start',
      summary:
        "Begin a sign-in at the org's SAML IdP: 302 with an AuthnRequest (HTTP-Redirect) and RelayState",
      tags: ['sso'],
      query: SSOStartQuery,
      responses: {
        302: { description: "To the IdP's SSO URL, with the flow cookie set" },
        400: { description: 'MISSING_FIELDS: callback is required' },
        403: { description: 'UNTRUSTED_REDIRECT: callback or error_callback is not on a trusted origin' },
        404: { description: 'SSO_NOT_CONFIGURED' },
        429: { description: 'RATE_LIMITED: too many sign-ins from this address' },
        500: { description: 'REDIRECT_URI_UNAVAILABLE: PYLON_PUBLIC_URL cannot serve as the ACS URL' },
      },
      handler: (c, { query }) => start(c, orgIdOf(c), query),
    }),
    defineRoute({
      method: 'post',
      path: '/orgs/:id/saml/acs',
      summary: 'The assertion consumer service: the IdP posts the SAMLResponse here (HTTP-POST binding)',
      tags: ['sso'],
      body: SAMLACSForm,
      acceptsForm: true,
      bodyLimitBytes: ACS_BODY_LIMIT_BYTES,
      responses: {
        302: {
          description:
            'To the callback, signed in (cookie set), or to the error_callback with `?sso_error=INVALID_SAML_RESPONSE|SAML_ASSERTION_REPLAYED|…&sso_error_message=…`',
        },
        403: {
          description:
            'INVALID_SSO_STATE: no pending request for this RelayState from this browser (unsolicited, replayed, another org’s or another browser’s); a browser (Accept: text/html) gets it as an HTML page naming the code',
        },
        413: { description: 'PAYLOAD_TOO_LARGE: the body is over 64 KiB' },
      },
      handler: (c, { body }) => answerCallbackRefusal(c, () => acs(c, orgIdOf(c), body)),
    }),
    defineRoute({
      method: 'get',
      path: '/orgs/:id/saml/metadata',
      summary: "This SP's SAML metadata for the org (entity ID, ACS), for the IdP admin to upload",
      tags: ['sso'],
      responses: {
        200: { description: 'application/samlmetadata+xml' },
        404: { description: 'NOT_FOUND: not an org id' },
        500: { description: 'REDIRECT_URI_UNAVAILABLE: PYLON_PUBLIC_URL cannot serve as the ACS URL' },
      },
      // Served before the connection exists (an IdP asks for it first) and for any well-formed
      // id, existing or not: it only repeats URLs built from the id, so it tells nobody which
      // orgs exist.
      handler: (c) => {
        const orgId = orgIdOf(c);
        if (!isOrgId(orgId)) throw new PylonError('NOT_FOUND');
        const endpoints = requireEndpoints(orgId);
        return c.body(buildSPMetadata(endpoints), 200, {
          'content-type': 'application/samlmetadata+xml; charset=utf-8',
        });
      },
    }),
  ];
}
