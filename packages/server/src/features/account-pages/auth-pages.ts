import { z } from 'zod';
import type { AppContext } from '../../http/context.js';
import { defineRoute, type RouteResponse } from '../../http/route-table.js';
import { html, PAGE_CSP, pageCSP, type SafeHTML, safeReturnPath } from '../../pages/html.js';
import { captchaField } from '../../pages/login-forms.js';
import { pageBase, renderPage } from '../../pages/page-context.js';
import type { Refusal } from '../../pages/refusal.js';
import { type ReturnDestination, renderSignInPage } from '../../pages/sign-in-step.js';
import { captchaWidget } from '../captcha/widget.js';
import {
  sendFirstVerificationCode,
  sendVerificationCode,
  verificationCodePending,
  verifyEmailWithCode,
} from '../identity/email-verification.js';
import type { Identity } from '../identity/identity.js';
import { completePasswordReset, requestPasswordReset } from '../identity/password-reset.js';
import { passwordRegister } from '../identity/password-sign-in.js';
import { requestFacts } from '../identity/route-helpers.js';
import { passesCSRFCheck, setSessionCookie } from '../identity/session-cookie.js';
import {
  csrfField,
  csrfToken,
  facts,
  notice,
  type PageRenderer,
  pageForm,
  pageGet,
  pagePost,
  refusalFor,
  refused,
  type Shown,
} from './page-kit.js';

const signedOutForm = z.object({
  email: z.string().max(320).optional(),
  password: z.string().max(1024).optional(),
  code: z.string().max(256).optional(),
  return_to: z.string().max(2048).optional(),
  'cf-turnstile-response': z.string().max(4096).optional(),
  'h-captcha-response': z.string().max(4096).optional(),
  'g-recaptcha-response': z.string().max(4096).optional(),
});
type SignedOutBody = z.infer<typeof signedOutForm>;
const codeForm = pageForm({ code: z.string().max(64).optional() });

type VerifyShown = Shown & { sent?: boolean; verified?: boolean };

const hidden = (name: string, value: string) => html`<input type="hidden" name="${name}" value="${value}">`;

/**
 * The signed-out pages beside /login: sign-up with a password (`/signup`), password reset
 * (`/reset`), and email verification for a signed-in person (`/verify-email`). Their forms call the
 * use cases the JSON API calls; signed-out forms must come from this origin (as /login's). The
 * sign-up form goes on to its `return_to`, whose destination its CSP allows (as /login's).
 */
export function authPageRoutes(identity: Identity, destinations: readonly ReturnDestination[]) {
  const { services } = identity;
  const widget = captchaWidget(services.config.captcha);
  const captcha = captchaField(widget);
  const csp = widget ? pageCSP(widget.csp) : PAGE_CSP;
  const captchaToken = (body: SignedOutBody) => (widget ? body[widget.field] : undefined);
  const sameOrigin = (c: AppContext) =>
    passesCSRFCheck(
      'POST',
      c.req.header('origin') ?? null,
      c.req.header('referer') ?? null,
      services.config.trustedOrigins,
    );

  const signUpForm = (
    base: string,
    back: string,
    error?: string,
    email = '',
  ): SafeHTML => html`<h1>Create an account</h1>
<p>Choose a password of at least 10 characters. Prefer no password? <a href="${base}/login?return_to=${encodeURIComponent(back)}">Sign in with an emailed code</a>; it creates your account.</p>
${notice('error', error)}
<form method="post" action="${base}/signup">
${hidden('return_to', back)}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" value="${email}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="10" maxlength="256" required>
${captcha}<button type="submit">Create account</button>
</form>
<p class="links"><a href="${base}/login?return_to=${encodeURIComponent(back)}">I have an account</a></p>`;

  const resetForm = (base: string, error?: string, email = ''): SafeHTML => html`<h1>Reset your password</h1>
<p>We will email you a code to set a new password.</p>
${notice('error', error)}
<form method="post" action="${base}/reset">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" value="${email}" required autofocus>
${captcha}<button type="submit">Email me a code</button>
</form>
<p class="links"><a href="${base}/login">Back to sign-in</a></p>`;

  const resetConfirmForm = (
    base: string,
    email: string,
    error?: string,
  ): SafeHTML => html`<h1>Set a new password</h1>
<p>If <strong>${email}</strong> has an account, we emailed it a code. It expires in 30 minutes.</p>
${notice('error', error)}
<form method="post" action="${base}/reset/confirm">
${hidden('email', email)}
<label for="code">Code from the email</label>
<input id="code" name="code" type="text" autocomplete="one-time-code" spellcheck="false" required autofocus>
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="10" maxlength="256" required>
<button type="submit">Set password</button>
</form>`;

  const verifyPage = (
    base: string,
    csrf: string,
    state: { email: string | null; verified: boolean; sent?: boolean; error?: string | SafeHTML },
  ): SafeHTML =>
    state.verified
      ? html`<h1>Email verified</h1>
<p class="ok" role="status">${state.email} is verified.</p>
<p class="links"><a href="${base}/account">Your account</a></p>`
      : html`<h1>Verify your email</h1>
<p>Verifying <strong>${state.email ?? 'your address'}</strong> proves it is yours, so it can sign in with a code and accept invitations.</p>
${notice('error', state.error)}
${
  state.sent
    ? html`<p class="ok" role="status">We sent a code to ${state.email}. It expires in 10 minutes.</p>
<form method="post" action="${base}/verify-email">
${csrfField(csrf)}
<label for="code">Code from the email</label>
<input id="code" name="code" class="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required autofocus>
<button type="submit">Verify</button>
</form>`
    : ''
}
<form method="post" action="${base}/verify-email/send">
${csrfField(csrf)}
<button type="submit"${state.sent ? html` class="secondary"` : ''}>${state.sent ? 'Send another code' : 'Email me a code'}</button>
</form>`;

  /** `/verify-email` after one of its forms: verified, or the code sent, or what was wrong. */
  const verification: PageRenderer<VerifyShown> = async (c, session, shown = {}, status = 200) => {
    // Unless the form just sent one: asks for a code only while one is live (the throttle may
    // have refused a new one, the page may be opened later).
    const sent = shown.sent ?? (!shown.verified && (await verificationCodePending(identity, session.email)));
    return renderPage(
      c,
      shown.verified ? 'Email verified' : 'Verify your email',
      verifyPage(pageBase(c), csrfToken(c, services), {
        email: session.email,
        verified: false,
        ...shown,
        sent,
      }),
      status,
    );
  };
  /** The same after a code was sent: a wrong code keeps asking for it. */
  const codeSent: PageRenderer<VerifyShown> = (c, session, shown = {}, status = 200) =>
    verification(c, session, { sent: true, ...shown }, status);

  const signUpBack = (raw: unknown, base: string) => safeReturnPath(raw, `${base}/verify-email`);

  /**
   * A signed-out form's route: from this origin only (as /login's forms), then `run`; a refusal
   * is shown on the form again (`fail`) as its sentence, under its status (`refusalFor`).
   */
  const signedOutPost = (
    spec: {
      path: string;
      summary: string;
      responses: Record<number, RouteResponse>;
      fail: (c: AppContext, body: SignedOutBody, refusal: Refusal) => Response | Promise<Response>;
    },
    run: (c: AppContext, body: SignedOutBody) => Promise<Response>,
  ) =>
    defineRoute({
      method: 'post',
      path: spec.path,
      summary: spec.summary,
      tags: ['pages'],
      body: signedOutForm,
      acceptsForm: true,
      responses: {
        ...spec.responses,
        400: { description: 'HTML: the form, with what was wrong' },
        403: { description: 'HTML: a cross-site form' },
        429: { description: 'HTML: the form, saying how long to wait (RATE_LIMITED, with Retry-After)' },
      },
      handler: async (c, { body }) => {
        if (!sameOrigin(c)) return refused(c);
        try {
          return await run(c, body);
        } catch (error) {
          return spec.fail(c, body, refusalFor(c, error));
        }
      },
      // A field the form's schema refuses is said on the form; of what was posted, only a
      // return_to the schema would take is kept.
      refuseForm: (c, fields, problem) => {
        if (!sameOrigin(c)) return refused(c);
        const back = fields.return_to;
        const kept = back !== undefined && back.length <= 2048 ? { return_to: back } : {};
        return spec.fail(c, kept, { message: problem, status: 400 });
      },
    });

  return [
    defineRoute({
      method: 'get',
      path: '/signup',
      summary: 'The hosted sign-up page (a password account; an emailed code also creates one)',
      tags: ['pages'],
      query: z.object({ return_to: z.string().max(2048).optional() }),
      responses: { 200: { description: 'HTML' } },
      handler: (c, { query }) => {
        const back = signUpBack(query.return_to, pageBase(c));
        return renderSignInPage(c, destinations, {
          title: 'Create an account',
          body: signUpForm(pageBase(c), back),
          back,
          csp,
        });
      },
    }),
    signedOutPost(
      {
        path: '/signup',
        summary: 'Hosted page: create a password account and sign in',
        responses: {
          303: { description: 'Registered and signed in: on to return_to (default /verify-email)' },
        },
        fail: (c, body, refusal) => {
          const back = signUpBack(body.return_to, pageBase(c));
          const form = signUpForm(pageBase(c), back, refusal.message, body.email ?? '');
          return renderSignInPage(c, destinations, {
            title: 'Create an account',
            body: form,
            back,
            status: refusal.status,
            csp,
          });
        },
      },
      async (c, body) => {
        const outcome = await passwordRegister(identity, await requestFacts(c, services), {
          email: body.email,
          password: body.password,
          captchaToken: captchaToken(body),
        });
        // A new account has no second factor: the outcome is a session, and its address is
        // sent the code that verifies it.
        if (outcome.kind === 'signed_in') {
          setSessionCookie(c, services.config, outcome.token, outcome.expiresAt);
          const user = await identity.users.findById(outcome.userId);
          if (user?.email)
            await sendFirstVerificationCode(identity, { requestId: c.get('requestId') }, user.email);
        }
        return c.redirect(signUpBack(body.return_to, pageBase(c)), 303);
      },
    ),
    defineRoute({
      method: 'get',
      path: '/reset',
      summary: 'The hosted password reset page: ask for a code',
      tags: ['pages'],
      responses: { 200: { description: 'HTML' } },
      handler: (c) => renderPage(c, 'Reset your password', resetForm(pageBase(c)), 200, csp),
    }),
    signedOutPost(
      {
        path: '/reset',
        summary: 'Hosted page: email a reset code (the same page whether or not the account exists)',
        responses: { 200: { description: 'HTML: enter the code and a new password' } },
        fail: (c, body, refusal) =>
          renderPage(
            c,
            'Reset your password',
            resetForm(pageBase(c), refusal.message, body.email ?? ''),
            refusal.status,
            csp,
          ),
      },
      async (c, body) => {
        const email = await requestPasswordReset(identity, await requestFacts(c, services), {
          email: body.email,
          captchaToken: captchaToken(body),
        });
        return renderPage(c, 'Set a new password', resetConfirmForm(pageBase(c), email));
      },
    ),
    signedOutPost(
      {
        path: '/reset/confirm',
        summary: 'Hosted page: set the new password with the emailed code; signs out every session',
        responses: { 200: { description: 'HTML: the password is set; sign in' } },
        fail: (c, body, refusal) =>
          renderPage(
            c,
            'Set a new password',
            resetConfirmForm(pageBase(c), body.email ?? '', refusal.message),
            refusal.status,
          ),
      },
      async (c, body) => {
        await completePasswordReset(identity, await requestFacts(c, services), {
          token: body.code?.trim(),
          newPassword: body.password,
        });
        return renderPage(
          c,
          'Password changed',
          html`<h1>Password changed</h1>
<p class="ok" role="status">Your new password is set, and every session of your account was signed out.</p>
<p><a class="button" href="${pageBase(c)}/login">Sign in</a></p>`,
        );
      },
    ),
    pageGet(
      services,
      { path: '/verify-email', summary: 'The hosted email verification page' },
      // As after its forms: a code already on its way (sent at sign-up, or asked for a moment
      // ago) is asked for.
      (c, session) => verification(c, session, { verified: session.emailVerified }),
    ),
    pagePost(
      services,
      {
        path: '/verify-email/send',
        summary: 'Hosted page: email a verification code',
        body: codeForm,
        back: '/verify-email',
        show: verification,
      },
      async (c, session) => {
        await sendVerificationCode(identity, facts(c, services), session.email);
        return { sent: true };
      },
    ),
    pagePost(
      services,
      {
        path: '/verify-email',
        summary: 'Hosted page: verify the address with the emailed code',
        body: codeForm,
        back: '/verify-email',
        show: codeSent,
      },
      async (c, session, body) => {
        await verifyEmailWithCode(identity, facts(c, services), {
          userId: session.userId,
          sessionId: session.sessionId,
          email: session.email,
          code: body.code,
        });
        return { verified: true };
      },
    ),
  ];
}
