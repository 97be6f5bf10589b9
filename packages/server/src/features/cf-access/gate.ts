import { PylonError } from '@pylon/core';
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { CFAccessConfig } from '../../config/config.js';
import { resolveCaller } from '../../http/auth-context.js';
import type { AppContext, AppEnv } from '../../http/context.js';
import { getAuth, searchParams } from '../../http/get-auth.js';
import type { AnyRoute } from '../../http/route-table.js';
import { safeReturnPath } from '../../pages/html.js';
import { pageBase } from '../../pages/page-context.js';
import { type ReturnDestination, renderTOTPStep } from '../../pages/sign-in-step.js';
import { isUniqueViolation } from '../../storage/errors.js';
import { type Identity, limitSignInsByIP } from '../identity/identity.js';
import { requestFacts } from '../identity/route-helpers.js';
import { sessionCookieName, setSessionCookie } from '../identity/session-cookie.js';
import { accessSignIn, CF_ACCESS_METHOD } from './access-sign-in.js';
import type { AssertionResult } from './assertion.js';

/** Where Access puts its token for the origin (Cloudflare recommends the header over the cookie). */
export const ASSERTION_HEADER = 'cf-access-jwt-assertion';
export const ASSERTION_COOKIE = 'CF_Authorization';

/** The tag every hosted page's route carries; the stylesheet and scripts under it are no pages. */
const PAGE_TAG = 'pages';
const ASSET_PREFIX = '/assets/';

/**
 * A route path as a pattern on the path below the org base: `:name` is one segment. Page paths
 * are plain, so this small reading of Hono's syntax is all they need.
 */
function pathPattern(path: string): RegExp {
  const escaped = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}/?$`);
}

export interface GateDeps {
  identity: Identity;
  config: CFAccessConfig;
  verify: (token: string) => Promise<AssertionResult>;
  /** The RBAC surface's routes, complete before the first request: the hosted pages among them. */
  rbacRoutes: readonly AnyRoute[];
  /** Where a `return_to` goes on to off this origin (the TOTP step's CSP allows it). */
  returnDestinations: readonly ReturnDestination[];
}

/**
 * Cloudflare Access as the hosted pages' sign-in: a GET of a hosted page (every route tagged
 * `pages` but the assets: /login, /device, the account pages, invitations, …) that carries an
 * Access assertion and no signed-in session signs its person in, exactly as the other sign-ins
 * do (the session cookie, `auth.sign_in` with method `cf_access`), then the page runs signed in;
 * `/login` goes straight on to its `return_to`. An account with TOTP is asked for its code first.
 * An assertion that does not verify, a disabled account or a refused sign-in leaves the request
 * as it was (the page signed out) with a log line naming the reason, never the token. The JSON
 * API never reads the assertion: it is not a credential, only a way to sign in on a page.
 */
export function cfAccessGate(deps: GateDeps): MiddlewareHandler<AppEnv> {
  const { identity, config } = deps;
  const { services } = identity;
  let pages: RegExp[] | null = null;
  const isHostedPage = (c: AppContext): boolean => {
    pages ??= deps.rbacRoutes
      .filter((route) => route.method === 'get' && route.tags?.includes(PAGE_TAG))
      .filter((route) => !route.path.startsWith(ASSET_PREFIX))
      .map((route) => pathPattern(route.path));
    const base = pageBase(c);
    const path = c.req.path.slice(base.length) || '/';
    return pages.some((pattern) => pattern.test(path));
  };

  const log = (c: AppContext, reason: string, level: 'info' | 'warn' = 'info') =>
    services.logger[level](
      { requestId: c.get('requestId'), reason },
      'Cloudflare Access assertion not used to sign in',
    );

  /** Sign the person in; a Response when the gate answers itself, undefined to run the page. */
  const gate = async (c: AppContext, token: string): Promise<Response | undefined> => {
    let caller: Awaited<ReturnType<typeof getAuth>>;
    try {
      caller = await getAuth(c, services);
    } catch (error) {
      if (error instanceof PylonError) return undefined;
      throw error;
    }
    // Already signed in (a guest is not: signing in merges the guest into the account).
    if (caller.authMethod === 'session' && !caller.isGuest) return undefined;
    const verified = await deps.verify(token);
    if (!verified.ok) {
      services.metrics.signIn(CF_ACCESS_METHOD, 'failed');
      log(c, verified.problem, verified.problem === 'certs_unavailable' ? 'warn' : 'info');
      return undefined;
    }
    const facts = await requestFacts(c, services);
    let outcome: Awaited<ReturnType<typeof accessSignIn>>;
    try {
      await limitSignInsByIP(identity, facts.ip, services.clock.now());
      outcome = await signInOnce(() => accessSignIn(identity, facts, config.teamDomain, verified.person));
    } catch (error) {
      if (error instanceof PylonError) {
        if (error.code === 'FORBIDDEN') services.metrics.signIn(CF_ACCESS_METHOD, 'failed');
        log(c, error.code === 'FORBIDDEN' ? 'account_disabled' : error.code.toLowerCase());
        return undefined;
      }
      throw error;
    }
    const base = pageBase(c);
    const path = c.req.path.slice(base.length);
    const onLogin = path === '/login' || path === '/login/';
    const back = onLogin
      ? safeReturnPath(c.req.query('return_to'), `${base}/login/done`)
      : safeReturnPath(`${c.req.path}${new URL(c.req.url).search}`, `${base}/login/done`);
    if (outcome.kind === 'mfa_required') {
      return renderTOTPStep(c, deps.returnDestinations, { base, mfaToken: outcome.mfaToken, back });
    }
    setSessionCookie(c, services.config, outcome.token, outcome.expiresAt);
    if (onLogin) return c.redirect(back, 303);
    // The page runs as the new session: the caller is resolved from it as from its cookie.
    const cookies = { ...getCookie(c), [sessionCookieName(services.config)]: outcome.token };
    c.set(
      'auth',
      await resolveCaller(services.resolvers, {
        bearer: null,
        cookies,
        method: c.req.method,
        origin: c.req.header('origin') ?? null,
        referer: c.req.header('referer') ?? null,
        userAgent: c.req.header('user-agent') ?? null,
        header: () => null,
        query: searchParams(c.req.url),
        orgId: c.get('orgId') ?? null,
      }),
    );
    return undefined;
  };

  return async (c, next) => {
    if (c.req.method !== 'GET' || c.get('surface') !== 'rbac') return next();
    const token = c.req.header(ASSERTION_HEADER) ?? getCookie(c, ASSERTION_COOKIE);
    if (!token || !isHostedPage(c)) return next();
    let answer: Response | undefined;
    try {
      answer = await gate(c, token);
    } catch (error) {
      // Never a 500 from the gate: the page runs signed out, and the failure is logged.
      services.logger.error(
        { requestId: c.get('requestId'), err: error },
        'Cloudflare Access sign-in failed',
      );
      answer = undefined;
    }
    if (answer) return answer;
    await next();
  };
}

/**
 * The first sign-in of an identity links it; two of its first requests at once race on that link
 * (the loser's transaction hits the unique key and rolls back). Once more, it finds the link.
 */
async function signInOnce<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    // Only the lost race on the link is tried again; any other failure is the caller's to see.
    if (!isUniqueViolation(error)) throw error;
    return run();
  }
}
