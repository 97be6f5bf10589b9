import type { AppContext } from '../http/context.js';
import { PAGE_CSP, type SafeHTML } from './html.js';
import { totpEnded, totpForm } from './login-forms.js';
import { type PageOptions, renderPage } from './page-context.js';

/**
 * Where a sign-in's `return_to` path goes on to off this origin, as the feature that owns the path
 * knows it: the authorization server answers the registered redirect URI's origin of an
 * authorization request it would send back to its client. Null for a path that stays here.
 * Features register theirs in `FeatureDeps.returnDestinations`.
 */
export type ReturnDestination = (c: AppContext, returnPath: string) => Promise<string | null>;

/** Exactly a scheme, host and port: nothing that could end the directive or add a source. */
const ORIGIN = /^https?:\/\/(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

/** The CSP with `form-action` widened to these origins (each checked to be a plain origin). */
export function allowFormTargets(csp: string, origins: readonly string[]): string {
  const sources = [...new Set(origins)].filter((origin) => ORIGIN.test(origin));
  if (sources.length === 0) return csp;
  return csp.replace("form-action 'self'", `form-action 'self' ${sources.join(' ')}`);
}

/**
 * The CSP of a page whose forms sign the person in and then go on to `back`. CSP Level 3's
 * `form-action` governs a form's navigation including each redirect that follows its POST (and
 * Chromium enforces that), so when `back` continues an authorization request, the sign-in's
 * POST → `/oauth/authorize` → the client's redirect URI chain must be allowed to end on that
 * client's origin — only the origin the owning feature vouches for, never one read from the query.
 */
export async function signInCSP(
  c: AppContext,
  destinations: readonly ReturnDestination[],
  back: string,
  csp: string = PAGE_CSP,
): Promise<string> {
  const origins = await Promise.all(destinations.map((destination) => destination(c, back)));
  return allowFormTargets(
    csp,
    origins.filter((origin): origin is string => origin !== null),
  );
}

/** A page holding a sign-in form that goes on to `back`: renderPage with signInCSP. */
export async function renderSignInPage(
  c: AppContext,
  destinations: readonly ReturnDestination[],
  page: { title: string; body: SafeHTML; back: string; status?: number; csp?: string; options?: PageOptions },
): Promise<Response> {
  const csp = await signInCSP(c, destinations, page.back, page.csp);
  return renderPage(c, page.title, page.body, page.status ?? 200, csp, page.options);
}

/** The second-factor step of any sign-in (a password, a code, an IdP, Cloudflare Access). */
export function renderTOTPStep(
  c: AppContext,
  destinations: readonly ReturnDestination[],
  input: { base: string; mfaToken: string; back: string; ended?: boolean; error?: string; status?: number },
): Promise<Response> {
  return renderSignInPage(c, destinations, {
    title: 'Two-factor authentication',
    // A step that cannot go on (locked, or over) says so with a way back and no code field.
    body:
      input.ended && input.error !== undefined
        ? totpEnded(input.base, input.back, input.error)
        : totpForm(input.base, input.mfaToken, input.back, input.error),
    back: input.back,
    ...(input.status === undefined ? {} : { status: input.status }),
  });
}
