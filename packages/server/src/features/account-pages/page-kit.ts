import { PylonError } from '@pylon/core';
import { z } from 'zod';
import type { AuthContext } from '../../http/auth-context.js';
import type { AppContext, Services } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import { defineRoute } from '../../http/route-table.js';
import { formCSRF } from '../../pages/form-csrf.js';
import { html, type NavLink, type SafeHTML } from '../../pages/html.js';
import { type PageOptions, pageBase, renderPage } from '../../pages/page-context.js';
import { postedText } from '../../pages/posted-fields.js';
import { pageRefusal, type Refusal } from '../../pages/refusal.js';
import { shownOnceOf } from '../../pages/shown-once.js';
import { clientIP } from '../identity/route-helpers.js';

/**
 * What every account page shares: who is signed in, the forms' CSRF token, the header's
 * navigation, and the one way a page form is declared (`pagePost`), so no form can skip a check.
 */

/** The double-submit token of the account pages: a SameSite=Strict cookie, echoed by each form. */
export const PAGE_CSRF_COOKIE = 'pylon_page_csrf';

export type PageSession = AuthContext & { userId: string; sessionId: string };

/** The signed-in session, or null. A cross-site cookie is no caller here (the resolver refuses it). */
export async function pageSession(c: AppContext, services: Services): Promise<PageSession | null> {
  let auth: AuthContext;
  try {
    auth = await getAuth(c, services);
  } catch (error) {
    if (error instanceof PylonError) return null;
    throw error;
  }
  return auth.authMethod === 'session' && auth.userId !== null && auth.sessionId !== undefined
    ? (auth as PageSession)
    : null;
}

/** Signed out: to the sign-in page, and back here after. */
export function toSignIn(c: AppContext, back: string): Response {
  return c.redirect(`${pageBase(c)}/login?return_to=${encodeURIComponent(back)}`, 303);
}

const PAGE_CSRF = formCSRF(PAGE_CSRF_COOKIE, { reuse: true });

/**
 * The page's CSRF token: the browser's current one when it has a well-formed one (two tabs share
 * it, so one page never invalidates another's forms), else a new one in the cookie.
 */
export function csrfToken(c: AppContext, services: Services): string {
  return PAGE_CSRF.token(c, services);
}

/** The form's token matches the cookie's, and the post came from a trusted origin. */
export function passesPageCSRF(c: AppContext, services: Services, sent: unknown): boolean {
  return PAGE_CSRF.passes(c, services, sent);
}

/** A page form's body: the page's CSRF token plus the given fields. */
export const pageForm = <T extends z.ZodRawShape>(shape: T) =>
  z.object({ csrf: z.string().max(100).optional(), ...shape });

export const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}">`;

export const facts = (c: AppContext, services: Services) => ({
  ip: clientIP(c, services),
  requestId: c.get('requestId'),
});

/** The account pages' sections, in the header of each. */
export function accountNav(base: string, current: string): NavLink[] {
  const links: Array<[string, string]> = [
    ['/account', 'Profile'],
    ['/account/security', 'Security'],
    ['/account/sessions', 'Sessions'],
    ['/account/api-keys', 'API keys'],
    ['/account/linked', 'Linked accounts'],
    ['/account/apps', 'Connected apps'],
    ['/account/activity', 'Activity'],
  ];
  return links.map(([path, label]) => ({ href: `${base}${path}`, label, current: path === current }));
}

export const accountPage = (base: string, current: string): PageOptions => ({
  nav: accountNav(base, current),
  wide: true,
});

/** What a failed page action says: the code's meaning in a sentence, never whether an account exists. */
const MESSAGES: Record<string, string> = {
  consent_not_found: 'That access was already revoked.',
  INVALID_CODE: 'That code is wrong, expired or already used.',
  INVALID_TOKEN: 'That code is wrong, expired or already used.',
  MISSING_CODE: 'Enter the code.',
  MISSING_EMAIL: 'Enter your email address.',
  INVALID_EMAIL: 'Enter a valid email address.',
  EMAIL_UNCHANGED: 'That is already your address.',
  EMAIL_TAKEN: 'That address cannot be used. If it is yours, sign in with it instead.',
  WEAK_PASSWORD: 'Use a password of 10 to 256 characters.',
  PWNED_PASSWORD: 'That password appears in a known data breach. Choose another one.',
  WRONG_PASSWORD: 'Your current password is not right.',
  EMAIL_SEND_FAILED: 'The email could not be sent. Try again.',
  CAPTCHA_REQUIRED: 'Complete the captcha.',
  CAPTCHA_FAILED: 'The captcha was not accepted. Try again.',
  TOTP_ALREADY_ENABLED: 'Two-factor authentication is already on.',
  TOTP_NOT_ENROLLED: 'Start the set-up again.',
  LAST_OWNER:
    'You are the last owner of an organisation: make someone else an owner, or delete the organisation, first.',
  LAST_SIGN_IN_METHOD: 'This is your last way to sign in; add another one first.',
  SESSION_NOT_FOUND: 'That session has already ended.',
  API_KEY_NOT_FOUND: 'That key was already revoked.',
  PASSKEY_NOT_FOUND: 'That passkey was already removed.',
  LINKED_ACCOUNT_NOT_FOUND: 'That account was already unlinked.',
  VALIDATION_FAILED: 'Check the form and try again.',
  FORBIDDEN: 'You may not do this.',
};

/** A refusal a form's action states itself (not a use case's PylonError): its text is what the page says. */
export class PageRefusal extends Error {}

/**
 * A PylonError's (or a PageRefusal's) sentence and status for the page (pages/refusal.ts: 429 with
 * its Retry-After for RATE_LIMITED, else 400); anything else is a bug and is thrown on.
 */
export function refusalFor(c: AppContext, error: unknown): Refusal {
  if (error instanceof PageRefusal) return { message: error.message, status: 400 };
  return pageRefusal(c, error, MESSAGES);
}

/** What a signed-in form's refusal shows: `refusalFor`'s sentence, or a way on with it. */
export interface SignedInRefusal {
  message: string | SafeHTML;
  status: number;
}

/**
 * `refusalFor` for a signed-in person's form, where one more refusal has a way on: a step that
 * needs a recent sign-in (REAUTH_REQUIRED, docs/API.md "Re-authentication") says so with a link
 * to sign in again that comes back to `back` (a path under the page base), under 403.
 */
export function signedInRefusal(c: AppContext, error: unknown, back: string): SignedInRefusal {
  if (!(error instanceof PylonError) || error.code !== 'REAUTH_REQUIRED') return refusalFor(c, error);
  const again = new URLSearchParams({ return_to: back });
  return {
    message: html`For your security, this needs a sign-in from the last 5 minutes. <a href="${pageBase(c)}/login?${again.toString()}">Sign in again</a>, and you will come back here to finish.`,
    status: 403,
  };
}

export const notice = (kind: 'error' | 'ok', text: string | SafeHTML | undefined): SafeHTML | '' =>
  text ? html`<p class="${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</p>` : '';

/** The page a form sent from another site, or without the page's token, gets. */
export function refused(c: AppContext): Response {
  return renderPage(
    c,
    'Refused',
    html`<h1>Refused</h1>
<p class="error" role="alert">This form expired or was sent from another site. Go back, reload the page and try again.</p>`,
    403,
  );
}

/** What an account page shows after a form's action: a refusal's sentence, a notice, and what the page shows once. */
export interface Shown {
  error?: string | SafeHTML;
  ok?: string;
  /** A refused form's text fields as posted (pages/posted-fields.ts), to fill the form again. */
  posted?: Readonly<Record<string, string>>;
}

/** An account page, plain or with what a form's action showed, under a status. */
export type PageRenderer<S extends Shown> = (
  c: AppContext,
  session: PageSession,
  shown?: S,
  status?: number,
) => Promise<Response>;

/**
 * A page form's route: the CSRF token and origin are checked before anything else, then the
 * session (signed out: to the sign-in page, back to `back`). `run` calls the same use case the
 * JSON API does and returns what the page shows next, which `show` renders; or a response of its
 * own (a redirect). A refusal (a PylonError) is shown on the page as its sentence
 * (`signedInRefusal`), under 400 (429 with its Retry-After when rate limited, 403 with a way to
 * sign in again when the step needs a recent sign-in); anything else is a bug and is thrown on.
 */
export function pagePost<B extends { csrf?: string | undefined }, S extends Shown>(
  services: Services,
  spec: { path: string; summary: string; body: z.ZodType<B>; back: string; show: PageRenderer<S> },
  run: (c: AppContext, session: PageSession, body: B) => Promise<S | Response>,
) {
  return defineRoute<B>({
    method: 'post',
    path: spec.path,
    summary: spec.summary,
    tags: ['pages'],
    body: spec.body,
    acceptsForm: true,
    responses: {
      303: { description: 'Done: to the outcome page (`/shown/{id}`); or signed out, to the sign-in page' },
      400: { description: 'HTML: the form, with what was wrong' },
      403: {
        description:
          'HTML: the form lacks the page’s CSRF token or came from another site; or the step needs a recent sign-in (REAUTH_REQUIRED), with a link to sign in again and come back',
      },
      429: { description: 'HTML: the form, saying how long to wait (RATE_LIMITED, with Retry-After)' },
    },
    handler: async (c, { body }) => {
      if (!passesPageCSRF(c, services, body.csrf)) return refused(c);
      const session = await pageSession(c, services);
      if (session === null) return toSignIn(c, `${pageBase(c)}${spec.back}`);
      try {
        const outcome = await run(c, session, body);
        if (outcome instanceof Response) return outcome;
        // Done: the outcome page by a redirect (shown-once.ts), so a reload cannot post again.
        return await shownOnceOf(services).redirect(
          c,
          session.sessionId,
          await spec.show(c, session, outcome),
        );
      } catch (error) {
        const refusal = signedInRefusal(c, error, `${pageBase(c)}${spec.back}`);
        return spec.show(
          c,
          session,
          { error: refusal.message, posted: postedText(body) } as S,
          refusal.status,
        );
      }
    },
    // A field the form's schema refuses is said on the page, after the same checks as an action.
    refuseForm: async (c, fields, problem) => {
      if (!passesPageCSRF(c, services, fields.csrf)) return refused(c);
      const session = await pageSession(c, services);
      if (session === null) return toSignIn(c, `${pageBase(c)}${spec.back}`);
      return spec.show(c, session, { error: problem, posted: postedText(fields) } as S, 400);
    },
  });
}

/**
 * A page that shows the signed-in person's data: signed out, to the sign-in page and back. A page
 * that reads its query declares it; the schema should not refuse (`.catch()`), since a person's
 * browser would show the refusal as raw JSON.
 */
export function pageGet<Q = undefined>(
  services: Services,
  spec: { path: string; summary: string; query?: z.ZodType<Q> },
  show: (c: AppContext, session: PageSession, query: Q) => Promise<Response>,
) {
  return defineRoute<unknown, Q>({
    method: 'get',
    path: spec.path,
    summary: spec.summary,
    tags: ['pages'],
    ...(spec.query ? { query: spec.query } : {}),
    responses: {
      200: { description: 'HTML' },
      303: { description: 'Signed out: to the sign-in page and back' },
    },
    handler: async (c, { query }) => {
      const session = await pageSession(c, services);
      if (session === null) return toSignIn(c, c.req.path);
      return show(c, session, query);
    },
  });
}

export const when = (ms: number | null) =>
  ms === null ? 'never' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
