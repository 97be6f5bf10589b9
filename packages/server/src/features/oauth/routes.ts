import { PylonError } from '@pylon/core';
import {
  OAuthCallbackParams,
  OAuthLinkResponse,
  OAuthLoginQuery,
  OAuthLoginResponse,
  OAuthProvidersResponse,
  SignInResponse,
} from '@pylon/core/wire';
import { DEFAULTS } from '../../config/defaults.js';
import type { AppContext } from '../../http/context.js';
import {
  bindingMatchesState,
  clearFlowCookie,
  readFlowCookie,
  setFlowCookie,
} from '../../http/flow-binding.js';
import { getAuth } from '../../http/get-auth.js';
import { withParams } from '../../http/redirect-url.js';
import { defineRoute } from '../../http/route-table.js';
import { answerCallbackRefusal } from '../../pages/callback-refusal.js';
import type { Identity } from '../identity/identity.js';
import { answerSignIn, requestFacts, requireSession } from '../identity/route-helpers.js';
import { signIn } from '../identity/sign-in.js';
import { resolveAccount } from './account-linking.js';
import { linkProviderIdentity, requireLinkableAccount } from './link-identity.js';
import { OAuthProtocolError } from './protocol.js';
import type { SocialProvider } from './social-providers.js';
import type { OAuthStateStore } from './state-store.js';

/** The flow cookie's kind (http/flow-binding.ts). */
const FLOW = 'oauth';

type CallbackParams = OAuthCallbackParams;

/** A redirect target must be an absolute URL on a trusted origin: anything else is an open redirect. */
function requireTrustedCallback(raw: string | undefined, trusted: readonly string[]): string | null {
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PylonError('UNTRUSTED_REDIRECT');
  }
  if (!trusted.includes(url.origin)) {
    throw new PylonError('UNTRUSTED_REDIRECT');
  }
  return url.toString();
}

const yes = (flag: string | undefined) => flag === '1' || flag === 'true';

/**
 * The account a link callback may finish for: the caller's own session, read from the cookie (or
 * bearer) this request carries. Null when there is none or it cannot be a caller here (e.g. a
 * cross-site cookie on a form post), so a link only completes where its account is signed in.
 */
async function sessionUser(c: AppContext, services: Identity['services']): Promise<string | null> {
  try {
    const auth = await getAuth(c, services);
    return auth.authMethod === 'session' ? auth.userId : null;
  } catch (error) {
    if (error instanceof PylonError) return null;
    throw error;
  }
}

export function oauthRoutes(
  identity: Identity,
  providers: ReadonlyMap<string, SocialProvider>,
  states: OAuthStateStore,
) {
  const { services } = identity;
  const redirectURI = (provider: string) => `${services.config.publicURL}/api/auth/callback/${provider}`;
  const findProvider = (id: string | undefined) => {
    const provider = id === undefined ? undefined : providers.get(id);
    if (!provider) throw new PylonError('PROVIDER_NOT_FOUND');
    return provider;
  };

  /**
   * parse → consume state → exchange → find or link the account → sign in → answer. Once the
   * state is known good, failures go back to the stored callback as `?error=CODE` when there is one;
   * any other refusal is a page for a browser (answerCallbackRefusal), JSON for an API client.
   */
  async function completeSignIn(c: AppContext, params: CallbackParams): Promise<Response> {
    const provider = findProvider(c.req.param('provider'));
    const now = services.clock.now();
    // Bound to the browser that started the flow: a callback URL opened anywhere else is refused
    // before the state is even looked up (and stays usable by the browser it belongs to).
    const bound =
      params.state !== undefined &&
      bindingMatchesState(readFlowCookie(c, services.config, FLOW), params.state);
    const pending = bound ? await states.consume(provider.id, params.state!, now) : null;
    if (!pending) throw new PylonError('OAUTH_INVALID_STATE');
    clearFlowCookie(c, services.config, FLOW);
    try {
      // A link finishes only for the session that started it: the flow cookie proves the
      // browser, this proves the account (a shared browser may have switched accounts since).
      if (pending.linkUserId !== null && (await sessionUser(c, services)) !== pending.linkUserId) {
        throw new PylonError('LINK_SESSION_MISMATCH');
      }
      if (params.error !== undefined || params.code === undefined) {
        throw new PylonError('OAUTH_PROVIDER_ERROR');
      }
      const code = params.code;
      const profile = await provider
        .exchange({
          code,
          codeVerifier: pending.codeVerifier,
          nonce: pending.nonce,
          redirectURI: redirectURI(provider.id),
          now,
        })
        .catch((error: unknown) => {
          if (!(error instanceof OAuthProtocolError)) throw error;
          services.logger.warn(
            { requestId: c.get('requestId'), provider: provider.id, reason: error.message },
            'oauth exchange failed',
          );
          throw new PylonError('OAUTH_TOKEN_EXCHANGE_FAILED');
        });
      const facts = await requestFacts(c, services);
      if (pending.linkUserId !== null) {
        await linkProviderIdentity(identity, facts, {
          userId: pending.linkUserId,
          provider: provider.id,
          profile,
        });
        if (!pending.callback) return c.json({ linked: true as const, provider: provider.id });
        return c.redirect(pending.callback, 302);
      }
      const result = answerSignIn(
        c,
        services,
        await signIn(identity, facts, {
          method: `oauth_${provider.id}`,
          prepare: (trx, at) =>
            resolveAccount(trx, identity, provider.id, profile, {
              now: at,
              requestId: facts.requestId,
              ip: facts.ip,
            }),
        }),
      );
      if (!pending.callback) return c.json(result);
      // A second factor is still due: the callback's page posts it to /totp/challenge.
      return c.redirect(
        'mfa_required' in result
          ? withParams(pending.callback, { mfa_token: result.mfa_token })
          : pending.callback,
        302,
      );
    } catch (error) {
      if (pending.callback && error instanceof PylonError) {
        return c.redirect(withParams(pending.callback, { error: error.code }), 302);
      }
      throw error;
    }
  }

  const callbackResponses = {
    200: {
      description: 'Signed in, or linked for a `link=1` flow (no callback was given)',
      schema: SignInResponse.or(OAuthLinkResponse),
    },
    302: { description: 'Back to the callback, signed in (cookie set) or linked, or with `?error=CODE`' },
    403: {
      description:
        'OAUTH_INVALID_STATE: unknown, used, expired, or no flow cookie of the starting browser; LINK_SESSION_MISMATCH: a link finished without the session that started it; EMAIL_NOT_VERIFIED: a link to an account whose address is unproven. A browser (Accept: text/html) gets these, and every refusal not sent to a callback, as an HTML page naming the code',
    },
    404: { description: 'PROVIDER_NOT_FOUND' },
    409: { description: 'IDENTITY_ALREADY_LINKED: a link of an identity another account holds' },
    502: { description: 'OAUTH_TOKEN_EXCHANGE_FAILED' },
  };

  return [
    defineRoute({
      method: 'get',
      path: '/providers',
      summary: 'The configured social sign-in providers',
      tags: ['oauth'],
      responses: {
        200: {
          description: 'Providers',
          schema: OAuthProvidersResponse,
        },
      },
      handler: (c) =>
        c.json(
          [...providers.keys()].map((id) => ({
            provider: id,
            auth_url: `${services.config.publicURL}/api/auth/login/${id}`,
          })),
        ),
    }),
    defineRoute({
      method: 'get',
      path: '/login/:provider',
      summary: 'Start a social sign-in: PKCE S256, a single-use state bound to the provider, a nonce',
      tags: ['oauth'],
      query: OAuthLoginQuery,
      responses: {
        200: {
          description: 'Where to send the person',
          schema: OAuthLoginResponse,
        },
        302: { description: 'With `redirect=1`: straight to the provider' },
        401: { description: 'UNAUTHORIZED: `link=1` without a session' },
        403: {
          description:
            'UNTRUSTED_REDIRECT; with `link=1`: API_KEY_AUTH_FORBIDDEN, FORBIDDEN (a guest) or EMAIL_NOT_VERIFIED (the account’s address is unproven)',
        },
        404: { description: 'PROVIDER_NOT_FOUND' },
        502: { description: 'OAUTH_TOKEN_EXCHANGE_FAILED: the provider’s discovery failed' },
      },
      handler: async (c, { query }) => {
        const provider = findProvider(c.req.param('provider'));
        const callback = requireTrustedCallback(query.callback, services.config.trustedOrigins);
        let linkUserId: string | null = null;
        if (yes(query.link)) {
          const auth = await requireSession(c, services);
          // A guest has no account to link to: a sign-in with the provider merges the guest instead.
          if (auth.isGuest) throw new PylonError('FORBIDDEN', { message: 'A guest signs in instead' });
          requireLinkableAccount(auth);
          linkUserId = auth.userId;
        }
        const pending = await states.create({
          provider: provider.id,
          callback,
          linkUserId,
          now: services.clock.now(),
          ttlSeconds: DEFAULTS.oauthStateTTLSeconds,
        });
        const redirect = await provider
          .authorizationURL({ ...pending, redirectURI: redirectURI(provider.id) })
          .catch((error: unknown) => {
            if (!(error instanceof OAuthProtocolError)) throw error;
            services.logger.warn({ provider: provider.id, reason: error.message }, 'oauth discovery failed');
            throw new PylonError('OAUTH_TOKEN_EXCHANGE_FAILED', {
              message: 'The provider could not be reached',
            });
          });
        setFlowCookie(c, services.config, FLOW, pending.binding, DEFAULTS.oauthStateTTLSeconds);
        if (yes(query.redirect)) return c.redirect(redirect, 302);
        return c.json({ redirect, state: pending.state });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/callback/:provider',
      summary: 'The provider returns here with `code` and `state`',
      tags: ['oauth'],
      query: OAuthCallbackParams,
      responses: callbackResponses,
      handler: (c, { query }) => answerCallbackRefusal(c, () => completeSignIn(c, query)),
    }),
    defineRoute({
      method: 'post',
      path: '/callback/:provider',
      summary: 'The same, for providers that post the response (`response_mode=form_post`)',
      tags: ['oauth'],
      body: OAuthCallbackParams,
      acceptsForm: true,
      responses: callbackResponses,
      handler: (c, { body }) => answerCallbackRefusal(c, () => completeSignIn(c, body)),
    }),
  ];
}
