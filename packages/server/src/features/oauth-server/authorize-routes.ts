import { z } from 'zod';
import type { AppContext } from '../../http/context.js';
import {
  bindingMatchesState,
  clearFlowCookie,
  createFlowBinding,
  readFlowCookie,
  setFlowCookie,
} from '../../http/flow-binding.js';
import { getAuth } from '../../http/get-auth.js';
import { handChecked } from '../../http/hand-checked.js';
import { requestAPIURL } from '../../http/org-hosts.js';
import { withParams } from '../../http/redirect-url.js';
import { defineRoute } from '../../http/route-table.js';
import { html, PAGE_CSP } from '../../pages/html.js';
import { pageBase, renderPage } from '../../pages/page-context.js';
import { allowFormTargets } from '../../pages/sign-in-step.js';
import {
  type AuthorizationParams,
  AuthorizationQuery,
  type AuthorizationRequest,
  checkAuthorization,
  queryParams,
  type RawParams,
  rawParams,
} from './authorization-request.js';
import { consentBody } from './consent-page.js';
import type { OAuthServerContext } from './context.js';
import { capabilitiesOf, loadPerson } from './person.js';
import { sessionFacts } from './session-facts.js';

const FLOW = 'consent';
const CONSENT_TTL_SECONDS = 600;
const ANSWERED = 'This consent page was already answered, or it expired. Start again from the application.';

/** The consent page's answer, and whom the page was shown to. */
interface Decision {
  decision: 'allow' | 'deny';
  shownTo: string;
}

const text = (max: number) => z.string().max(max).optional();
/**
 * The query as the endpoint's OpenAPI description, checked by checkAuthorization rather than the
 * route table: a value over its limit or sent twice is an error for the client (RFC 6749
 * §4.1.2.1), or for this page before the client is known — never the table's JSON refusal.
 */
const AuthorizationQueryDocument = handChecked(
  AuthorizationQuery,
  Object.keys(AuthorizationQuery.shape) as Array<keyof typeof AuthorizationQuery.shape>,
);
/** The consent page's own form: the request's parameters it was rendered with, and the decision. */
const DecisionForm = AuthorizationQuery.extend({ csrf: text(128), decision: text(16) });

/** The signed-in person of a browser request (a session; not a guest), or null. */
async function browserPerson(c: AppContext, context: OAuthServerContext) {
  const auth = await getAuth(c, context.services);
  if (auth.authMethod !== 'session' || auth.userId === null || auth.isGuest || !auth.sessionId) return null;
  return { userId: auth.userId, email: auth.email, sessionId: auth.sessionId };
}

/** Every requested scope value is among the remembered ones. */
function covers(remembered: string, requested: string): boolean {
  const held = new Set(remembered.split(' '));
  return requested.split(' ').every((value) => value === '' || held.has(value));
}

export function authorizeRoutes(context: OAuthServerContext) {
  const { services } = context;
  const issuer = (c: AppContext) => requestAPIURL(c, services.config);

  const errorPage = (c: AppContext, message: string) =>
    renderPage(
      c,
      'Sign-in request refused',
      html`<h1>This request cannot continue</h1><p class="error" role="alert">${message}</p>`,
      400,
    );

  /** RFC 6749 §4.1.2 and RFC 9207 §2: the answer goes back with `state` and our `iss`. */
  const back = (c: AppContext, redirectURI: string, state: string | null, params: Record<string, string>) => {
    c.header('Cache-Control', 'no-store');
    return c.redirect(
      withParams(redirectURI, { ...params, ...(state === null ? {} : { state }), iss: issuer(c) }),
      303,
    );
  };

  /** Issue the code for an allowed request and send the browser back to the client. */
  const issueCode = async (
    c: AppContext,
    request: AuthorizationRequest,
    person: { userId: string; sessionId: string },
    consentId: string | null,
  ) => {
    const facts = await sessionFacts(services.storage.db, { id: person.sessionId, userId: person.userId });
    const code = await context.codes.issue(
      {
        orgId: c.get('orgId'),
        clientId: request.client.clientId,
        userId: person.userId,
        consentId,
        resource: request.app?.resource ?? null,
        scope: request.scope,
        authTime: facts.authTime,
        amr: facts.amr,
        redirectURI: request.redirectURI,
        codeChallenge: request.codeChallenge,
        nonce: request.nonce,
      },
      services.clock.now(),
    );
    return back(c, request.redirectURI, request.state, { code });
  };

  /**
   * OIDC Core §3.1.2.1 `prompt=login` and `max_age`: when the session's sign-in is not fresh
   * enough (or there is no session), the parameters to send the browser to sign in with:
   * prompt=login and max_age replaced by `pylon_auth_after` (now), so the request it comes back
   * with is satisfied by that sign-in and not sent round again. Null when the session will do. The
   * relying party still checks the id_token's `auth_time`, as §3.1.2.1 asks: the browser carries
   * these parameters and could drop them.
   */
  const freshness = async (
    request: AuthorizationRequest,
    params: AuthorizationParams,
    person: { userId: string; sessionId: string } | null,
  ): Promise<AuthorizationParams | null> => {
    const now = Math.floor(services.clock.now() / 1000);
    const asked = request.prompts.has('login') || request.maxAge !== null || request.authAfter !== null;
    if (!asked) return person === null ? params : null;
    if (person !== null) {
      const { authTime } = await sessionFacts(services.storage.db, {
        id: person.sessionId,
        userId: person.userId,
      });
      const stale =
        request.prompts.has('login') ||
        (request.maxAge !== null && authTime + request.maxAge < now) ||
        (request.authAfter !== null && authTime < request.authAfter);
      if (!stale) return null;
    }
    const { prompt: _prompt, max_age: _maxAge, ...rest } = params;
    const kept = [...request.prompts].filter((value) => value !== 'login').join(' ');
    return {
      ...rest,
      ...(kept === '' ? {} : { prompt: kept }),
      pylon_auth_after: String(request.authAfter ?? now),
    };
  };

  /** A consent is remembered per (person, client, resource); a plain sign-in's resource is the issuer. */
  const consentResource = (c: AppContext, request: AuthorizationRequest) =>
    request.app?.resource ?? issuer(c);

  /** Parse → check the client → check the request → the person → consent → code. */
  const authorize = async (c: AppContext, raw: RawParams, decided: Decision | null) => {
    const checked = await checkAuthorization(context, c.get('orgId'), raw);
    if (checked.kind === 'page') return errorPage(c, checked.message);
    if (checked.kind === 'redirect')
      return back(c, checked.redirectURI, checked.state, {
        error: checked.error,
        error_description: checked.description,
      });
    const { request, params } = checked;
    const signedIn = await browserPerson(c, context);
    const person = signedIn ? await loadPerson(context, signedIn.userId) : null;
    const signInFirst = (again: AuthorizationParams) => {
      // OIDC Core §3.1.2.1: prompt=none never shows a page.
      if (request.prompts.has('none'))
        return back(c, request.redirectURI, request.state, { error: 'login_required' });
      const returnTo = `${c.req.path}?${new URLSearchParams(again as Record<string, string>)}`;
      return c.redirect(`${pageBase(c)}/login?return_to=${encodeURIComponent(returnTo)}`, 303);
    };
    const again = await freshness(request, params, signedIn && person ? signedIn : null);
    if (again !== null || !signedIn || !person) return signInFirst(again ?? params);
    // The page was shown to someone else who signed in in this browser: their answer is not this one's.
    if (decided !== null && decided.shownTo !== person.id) return errorPage(c, ANSWERED);
    if (decided?.decision === 'deny') {
      return back(c, request.redirectURI, request.state, {
        error: 'access_denied',
        error_description: 'The person denied the request',
      });
    }
    const orgId = c.get('orgId');
    const resource = consentResource(c, request);
    const now = services.clock.now();
    if (decided?.decision === 'allow') {
      const consent = await context.consents.remember({
        orgId,
        userId: person.id,
        clientId: request.client.clientId,
        clientName: request.client.clientName,
        resource,
        scope: request.scope,
        now,
      });
      return issueCode(c, request, signedIn, consent.id);
    }
    const remembered = await context.consents.find(orgId, person.id, request.client.clientId, resource);
    if (remembered && !request.prompts.has('consent') && covers(remembered.scope, request.scope)) {
      return issueCode(c, request, signedIn, remembered.id);
    }
    if (request.prompts.has('none'))
      return back(c, request.redirectURI, request.state, { error: 'consent_required' });
    const caps = request.app ? ((await capabilitiesOf(context, orgId, request.app.id, person)) ?? []) : [];
    const binding = createFlowBinding(services.random);
    await context.consentPrompts.open(binding.state, person.id, now, CONSENT_TTL_SECONDS * 1000);
    setFlowCookie(c, services.config, FLOW, binding.binding, CONSENT_TTL_SECONDS);
    // form-action governs the redirects that follow the form's POST too (sign-in-step.ts).
    const csp = allowFormTargets(PAGE_CSP, [new URL(request.redirectURI).origin]);
    return renderPage(
      c,
      'Allow access',
      consentBody({
        action: `${pageBase(c)}/oauth/authorize`,
        params,
        request,
        email: person.email,
        caps,
        csrf: binding.state,
      }),
      200,
      csp,
    );
  };

  return [
    defineRoute({
      method: 'get',
      path: '/oauth/authorize',
      summary: 'OAuth 2.1 authorisation endpoint (code + PKCE S256; RFC 8707 resource; OIDC)',
      tags: ['oauth-server'],
      query: AuthorizationQueryDocument,
      responses: {
        200: { description: 'HTML: the consent page' },
        303: {
          description:
            'To the login page and back; or to the client with `code`, `state` and `iss` (RFC 9207), or an RFC 6749 §4.1.2.1 error (`invalid_request` for a parameter sent twice or over its limit; OIDC Core §6.1 `request_not_supported`, `request_uri_not_supported`)',
        },
        400: {
          description:
            'HTML: an unknown client or a redirect URI it did not register (or either sent twice, or too long)',
        },
      },
      handler: (c) => authorize(c, queryParams(new URL(c.req.url).searchParams), null),
    }),
    defineRoute({
      method: 'post',
      path: '/oauth/authorize',
      summary: "The consent page's decision (form, bound to the browser that was shown the page)",
      tags: ['oauth-server'],
      body: DecisionForm,
      acceptsForm: true,
      responses: {
        303: { description: 'To the client with a code, or with error=access_denied' },
        400: {
          description:
            'HTML: an unknown client or redirect URI; or the page was already answered (each page is answered once), expired, or shown to someone else',
        },
        403: { description: 'HTML: the form did not come from this browser’s consent page' },
      },
      handler: async (c, { body }) => {
        const { csrf, decision, ...params } = body;
        const binding = readFlowCookie(c, services.config, FLOW);
        if (csrf === undefined || !bindingMatchesState(binding, csrf)) {
          return renderPage(
            c,
            'Sign-in request refused',
            html`<h1>This request cannot continue</h1><p class="error" role="alert">The form did not come from this browser’s consent page. Start again from the application.</p>`,
            403,
          );
        }
        clearFlowCookie(c, services.config, FLOW);
        // Single use: a second post of the same form (a double click, the back button) gets no second code.
        const prompt = await context.consentPrompts.answer(csrf, services.clock.now());
        if (prompt === null) return errorPage(c, ANSWERED);
        return authorize(c, rawParams(params), {
          decision: decision === 'allow' ? 'allow' : 'deny',
          shownTo: prompt.userId,
        });
      },
    }),
  ];
}
