import { PylonError } from '@pylon/core';
import { z } from 'zod';
import { captchaWidget } from '../features/captcha/widget.js';
import { type Identity, requireEmail } from '../features/identity/identity.js';
import { magicCodeSignIn, sendMagicCode } from '../features/identity/magic-code-sign-in.js';
import { passwordSignIn } from '../features/identity/password-sign-in.js';
import { clientIP, requestFacts } from '../features/identity/route-helpers.js';
import { passesCSRFCheck, setSessionCookie } from '../features/identity/session-cookie.js';
import type { SignInOutcome } from '../features/identity/sign-in.js';
import { completeTOTPChallenge } from '../features/mfa/challenge.js';
import { ssoStartPath } from '../features/sso/sso-discovery.js';
import { SSOStore } from '../features/sso/sso-store.js';
import { setTrustedDeviceCookie } from '../features/trusted-devices/cookie.js';
import type { AppContext } from '../http/context.js';
import { defineRoute } from '../http/route-table.js';
import { PAGE_SCRIPTS } from './assets.js';
import { html, pageCSP, SCRIPT_PAGE_CSP, safeReturnPath } from './html.js';
import {
  captchaField,
  codeForm,
  emailForm,
  type SignInFailure,
  type SocialLink,
  ssoOffer,
} from './login-forms.js';
import { pageBase, renderPage } from './page-context.js';
import { pageRefusal, WAIT_A_MOMENT } from './refusal.js';
import { type ReturnDestination, renderSignInPage, renderTOTPStep } from './sign-in-step.js';

const form = z.object({
  email: z.string().max(320).optional(),
  code: z.string().max(64).optional(),
  password: z.string().max(1024).optional(),
  mfa_token: z.string().max(200).optional(),
  /** `1`: trust this browser for 30 days (the TOTP step's checkbox). */
  trust_device: z.string().max(8).optional(),
  return_to: z.string().max(2048).optional(),
  /** `1`: the person chose an emailed code over their org's SSO. */
  skip_sso: z.string().max(8).optional(),
  // The captcha widget's token, under the field name its provider's script fills in.
  'cf-turnstile-response': z.string().max(4096).optional(),
  'h-captcha-response': z.string().max(4096).optional(),
  'g-recaptcha-response': z.string().max(4096).optional(),
});
type Form = z.infer<typeof form>;

/** Sign-in failures shown on the page: the code's meaning, never whether an account exists. */
const MESSAGES: Record<string, string> = {
  INVALID_CREDENTIALS: 'That email and password do not match.',
  INVALID_CODE: 'That code is wrong, expired or already used.',
  MISSING_EMAIL: 'Enter your email address.',
  INVALID_EMAIL: 'Enter a valid email address.',
  MISSING_CODE: 'Enter the code.',
  EMAIL_SEND_FAILED: 'The email could not be sent. Try again.',
  INVALID_MFA_TOKEN: 'This sign-in expired. Start again.',
  FORBIDDEN: 'This account is disabled.',
  CAPTCHA_REQUIRED: 'Complete the captcha.',
  CAPTCHA_FAILED: 'The captcha was not accepted. Try again.',
};

/** The TOTP step's: the step after the password, so its refusals say what to do about the code. */
const TOTP_MESSAGES: Record<string, string> = {
  ...MESSAGES,
  INVALID_CODE: 'That code is wrong or was already used.',
  INVALID_MFA_TOKEN: 'This sign-in expired, or had too many wrong codes. Sign in again.',
};

/**
 * Why an SSO sign-in came back here (the login page is its `error_callback`, which the SSO routes
 * send `?sso_error=CODE&sso_error_message=…`). Anyone can link to `/login?sso_error=…`, so the
 * headline is a fixed text per code and the message is only ever shown as escaped, capped text.
 */
const SSO_MESSAGES: Record<string, string> = {
  SSO_SIGN_IN_FAILED:
    'Your identity provider did not complete the sign-in. Try again, or use an emailed code.',
  INVALID_SAML_RESPONSE: 'Your identity provider’s answer was refused. Try again, or use an emailed code.',
  SAML_ASSERTION_REPLAYED: 'That sign-in was already used. Start again.',
  SSO_NOT_CONFIGURED: 'Your organisation no longer signs in through SSO. Use an emailed code.',
  REDIRECT_URI_UNAVAILABLE: 'SSO is not set up correctly on this server. Use an emailed code.',
  FORBIDDEN: 'This account is disabled.',
  RATE_LIMITED: WAIT_A_MOMENT,
};
/** A social sign-in that came back with `?error=`: one fixed sentence (the code is anyone's to forge). */
const SOCIAL_FAILED = 'The sign-in with that provider did not complete. Try again, or use an emailed code.';
/** The IdP's own words are detail, not the message: one short line at most. */
const SSO_DETAIL_MAX = 200;

function ssoFailure(code: string | undefined, message: string | undefined) {
  if (code === undefined || code === '') return undefined;
  const error = SSO_MESSAGES[code] ?? 'The sign-in through your organisation did not complete. Try again.';
  // Control characters would only garble the line; the html template escapes the rest. The cap
  // counts code points, so it never splits a surrogate pair.
  const chars = [...(message?.replace(/\p{Cc}+/gu, ' ').trim() ?? '')];
  const cleaned =
    chars.length > SSO_DETAIL_MAX ? `${chars.slice(0, SSO_DETAIL_MAX - 1).join('')}…` : chars.join('');
  const detail = cleaned === '' ? undefined : cleaned;
  return { error, detail, email: '', form: 'code' as const };
}

/**
 * The hosted sign-in page (no JavaScript): email → magic code, or password, then TOTP when the
 * account has it; on success the session cookie is set and the browser goes back to `return_to`,
 * which may only be a path on this origin. Every page holding one of its forms allows, in its CSP
 * `form-action`, where `return_to` goes on to (sign-in-step.ts): the redirects after a sign-in's
 * POST can end at an OAuth client.
 */
export function loginPageRoutes(identity: Identity, destinations: readonly ReturnDestination[]) {
  const { services } = identity;
  const widget = captchaWidget(services.config.captcha);
  const captcha = captchaField(widget);
  // Only the pages that carry the widget allow its provider's script and frames.
  // The passkey button's script is our own static file: `script-src 'self'`, `connect-src 'self'`.
  const signInCSP = widget
    ? pageCSP({
        ...widget.csp,
        script: [...widget.csp.script, "'self'"],
        connect: [...(widget.csp.connect ?? []), "'self'"],
      })
    : SCRIPT_PAGE_CSP;
  const sso = new SSOStore(
    services.storage.db,
    services.random,
    services.sealer,
    services.config.ssoAllowedDomains,
  );
  /** The SSO start for this email's domain, back to `return_to` (or the page, with `sso_error`) after. */
  const ssoStart = async (c: AppContext, email: string, back: string): Promise<string | null> => {
    const start = await ssoStartPath(sso, email);
    if (start === null) return null;
    // Back through /login/continue, which asks for the second factor when the account has one;
    // a failure comes back to this page, keeping where the person was going.
    const keep = new URLSearchParams({ return_to: back });
    const query = new URLSearchParams({
      callback: new URL(`${pageBase(c)}/login/continue?${keep}`, services.config.publicURL).toString(),
      error_callback: new URL(`${pageBase(c)}/login?${keep}`, services.config.publicURL).toString(),
    });
    return `${start}?${query}`;
  };
  const returnTo = (c: AppContext, raw: unknown) => safeReturnPath(raw, `${pageBase(c)}/login/done`);
  /** Each social provider, back through /login/continue (TOTP when due), then on to `back`. */
  const social = (c: AppContext, back: string): SocialLink[] =>
    services.config.oauthProviders.map(({ id }) => {
      const keep = new URLSearchParams({ return_to: back });
      const callback = `${services.config.publicURL}${pageBase(c)}/login/continue?${keep}`;
      return { id, href: `/api/auth/login/${id}?${new URLSearchParams({ redirect: '1', callback })}` };
    });
  const signInOptions = { scripts: [PAGE_SCRIPTS.passkeys.path] };
  /** The sign-in page with every configured way in, after a failed attempt when `failed` says one. */
  const signInPage = (c: AppContext, back: string, failed?: SignInFailure, status = 400) =>
    renderSignInPage(c, destinations, {
      title: 'Sign in',
      body: emailForm(pageBase(c), back, services.config.passwords, failed, captcha, social(c, back)),
      back,
      status,
      csp: signInCSP,
      options: signInOptions,
    });
  const totpStep = (
    c: AppContext,
    mfaToken: string,
    back: string,
    error?: string,
    status?: number,
    ended = false,
  ) =>
    renderTOTPStep(c, destinations, {
      base: pageBase(c),
      mfaToken,
      back,
      ended,
      ...(error === undefined ? {} : { error }),
      ...(status === undefined ? {} : { status }),
    });
  const finish = (c: AppContext, outcome: SignInOutcome, back: string) => {
    if (outcome.kind === 'mfa_required') return totpStep(c, outcome.mfaToken, back);
    setSessionCookie(c, services.config, outcome.token, outcome.expiresAt);
    return c.redirect(back, 303);
  };
  /** A page POST must come from this origin (login CSRF would sign a victim into our account). */
  const sameOrigin = (c: AppContext) =>
    passesCSRFCheck(
      'POST',
      c.req.header('origin') ?? null,
      c.req.header('referer') ?? null,
      services.config.trustedOrigins,
    );
  const refused = (c: AppContext) =>
    renderPage(
      c,
      'Refused',
      html`<h1>Refused</h1><p class="error" role="alert">This form was sent from another site.</p>`,
      403,
    );
  const post = (
    path: string,
    summary: string,
    run: (c: AppContext, body: Form, back: string) => Promise<Response>,
  ) =>
    defineRoute({
      method: 'post',
      path,
      summary,
      tags: ['pages'],
      body: form,
      acceptsForm: true,
      responses: {
        200: { description: 'A page' },
        303: { description: 'Signed in: back to return_to' },
        400: { description: 'HTML: the form, with what was wrong' },
        403: { description: 'Cross-site form' },
        429: { description: 'HTML: the form, saying how long to wait (RATE_LIMITED, with Retry-After)' },
      },
      handler: async (c, { body }) =>
        sameOrigin(c) ? run(c, body, returnTo(c, body.return_to)) : refused(c),
      // A field over its limit (the inputs' maxlength stops a person first) is said on the
      // sign-in page, under 400, not answered as JSON; of what was posted only return_to is kept.
      refuseForm: (c, fields, problem) => {
        if (!sameOrigin(c)) return refused(c);
        const back = (fields.return_to?.length ?? 0) <= 2048 ? fields.return_to : undefined;
        return signInPage(c, returnTo(c, back), { error: problem, email: '', form: 'code' }, 400);
      },
    });

  return [
    defineRoute({
      method: 'get',
      path: '/login',
      summary: 'The hosted sign-in page',
      tags: ['pages'],
      query: z.object({
        return_to: z.string().max(2048).optional(),
        /** Set by a failed SSO sign-in that had this page as its error_callback. */
        sso_error: z.string().max(64).optional(),
        sso_error_message: z.string().max(4096).optional(),
      }),
      responses: { 200: { description: 'HTML' } },
      handler: (c, { query }) =>
        signInPage(
          c,
          returnTo(c, query.return_to),
          ssoFailure(query.sso_error, query.sso_error_message),
          200,
        ),
    }),
    defineRoute({
      method: 'get',
      path: '/login/continue',
      summary:
        'Where a sign-in through an IdP lands: the second factor when one is due, else on to return_to',
      tags: ['pages'],
      query: z.object({
        return_to: z.string().max(2048).optional(),
        /** Set by an SSO or social sign-in of an account with TOTP: the challenge to answer. */
        mfa_token: z.string().max(200).optional(),
        /** Set by a social sign-in that failed (`?error=CODE`): the sign-in page again, saying so. */
        error: z.string().max(64).optional(),
      }),
      responses: {
        200: { description: 'HTML: the TOTP step' },
        303: { description: 'Signed in: on to return_to' },
      },
      handler: (c, { query }) => {
        const back = returnTo(c, query.return_to);
        if (query.error) {
          return signInPage(c, back, { error: SOCIAL_FAILED, email: '', form: 'code' });
        }
        if (query.mfa_token) return totpStep(c, query.mfa_token, back);
        return c.redirect(back, 303);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/login/done',
      summary: 'Where a sign-in without return_to lands',
      tags: ['pages'],
      responses: { 200: { description: 'HTML' } },
      handler: (c) =>
        renderPage(
          c,
          'Signed in',
          html`<h1>You are signed in</h1><p class="ok" role="status">You can close this tab.</p>`,
        ),
    }),
    post('/login/code', 'Hosted page: email a sign-in code', async (c, body, back) => {
      try {
        // The address's org may sign in through SSO: offered in place of a code, unless the
        // person already chose the code (the offer's own button).
        const sso = (email: string) =>
          body.skip_sso === '1' ? Promise.resolve(null) : ssoStart(c, email, back);
        const asked = await sendMagicCode(
          identity,
          { ip: clientIP(c, services), requestId: c.get('requestId') },
          { email: body.email, captchaToken: widget ? body[widget.field] : undefined },
          sso,
        );
        if (asked.kind === 'instead') {
          const offer = ssoOffer(pageBase(c), asked.email, back, asked.instead, captcha);
          return renderSignInPage(c, destinations, { title: 'Sign in', body: offer, back, csp: signInCSP });
        }
        const form = codeForm(pageBase(c), asked.email, back);
        return renderSignInPage(c, destinations, { title: 'Check your email', body: form, back });
      } catch (error) {
        const refusal = pageRefusal(c, error, MESSAGES);
        const failed = { error: refusal.message, email: body.email ?? '', form: 'code' as const };
        return signInPage(c, back, failed, refusal.status);
      }
    }),
    post('/login/verify', 'Hosted page: sign in with the emailed code', async (c, body, back) => {
      const email = typeof body.email === 'string' ? body.email : '';
      try {
        const normalized = requireEmail(email);
        const facts = await requestFacts(c, services);
        const outcome = await magicCodeSignIn(identity, facts, { email: normalized, code: body.code });
        return finish(c, outcome, back);
      } catch (error) {
        const refusal = pageRefusal(c, error, MESSAGES);
        const form = codeForm(pageBase(c), email, back, refusal.message);
        return renderSignInPage(c, destinations, {
          title: 'Check your email',
          body: form,
          back,
          status: refusal.status,
        });
      }
    }),
    post('/login/password', 'Hosted page: sign in with a password', async (c, body, back) => {
      try {
        return finish(c, await passwordSignIn(identity, await requestFacts(c, services), body), back);
      } catch (error) {
        const refusal = pageRefusal(c, error, MESSAGES);
        const failed = { error: refusal.message, email: body.email ?? '', form: 'password' as const };
        return signInPage(c, back, failed, refusal.status);
      }
    }),
    post('/login/totp', 'Hosted page: the second factor', async (c, body, back) => {
      try {
        const outcome = await completeTOTPChallenge(identity, await requestFacts(c, services), {
          mfa_token: body.mfa_token,
          code: body.code,
          trust_device: body.trust_device === '1',
        });
        if (outcome.trustedDevice) {
          setTrustedDeviceCookie(
            c,
            services.config,
            outcome.trustedDevice.token,
            outcome.trustedDevice.expiresAt,
          );
        }
        return finish(c, outcome, back);
      } catch (error) {
        const refusal = pageRefusal(c, error, TOTP_MESSAGES);
        // Locked out, or the sign-in is over: no code can succeed here, so no field to type one.
        const ended =
          error instanceof PylonError && ['RATE_LIMITED', 'INVALID_MFA_TOKEN'].includes(error.code);
        return totpStep(c, body.mfa_token ?? '', back, refusal.message, refusal.status, ended);
      }
    }),
  ];
}
