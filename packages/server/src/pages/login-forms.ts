import type { CaptchaWidget } from '../features/captcha/widget.js';
import { html, type SafeHTML } from './html.js';

/** The sign-in page's forms (`/login*`); the routes that show them are in login-page.ts. */

const hidden = (name: string, value: string) => html`<input type="hidden" name="${name}" value="${value}">`;

/** The provider's widget, inside a form that sends an emailed code (PYLON_CAPTCHA_PROVIDER). */
export const captchaField = (widget: CaptchaWidget | null) =>
  widget
    ? html`<script src="${widget.scriptURL}" async defer></script>
<div class="${widget.className}" data-sitekey="${widget.siteKey}"></div>
`
    : html``;

/**
 * The first step. After a failed attempt the address typed is kept (only ever the visitor's own
 * input, escaped) and the form that failed is the one shown open. `passwords` is the deployment's
 * `config.passwords`: without it there is no password form, reset link or sign-up page to offer.
 */
/** What the sign-in page says after a failed attempt, and which of its forms is shown open. */
export interface SignInFailure {
  error: string;
  detail?: string | undefined;
  email: string;
  form: 'code' | 'password';
}

export function emailForm(
  base: string,
  returnTo: string,
  passwords: boolean,
  failed?: SignInFailure,
  captcha: SafeHTML = html``,
  providers: readonly SocialLink[] = [],
): SafeHTML {
  const error = failed?.error;
  const detail = failed?.detail;
  const email = failed?.email ?? '';
  const passwordFailed = failed?.form === 'password';
  return html`<h1>Sign in</h1>
<p>We will email you a one-time code.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
${detail ? html`<p class="detail">Details: ${detail}</p>` : ''}
<form method="post" action="${base}/login/code">
${hidden('return_to', returnTo)}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" value="${email}" required${passwordFailed ? '' : html` autofocus`}>
${captcha}<button type="submit">Email me a code</button>
</form>
${passwords ? passwordForm(base, returnTo, email, passwordFailed) : ''}
${otherWays(base, returnTo, passwords, providers)}`;
}

function passwordForm(base: string, returnTo: string, email: string, failed: boolean): SafeHTML {
  return html`<details class="divider"${failed ? html` open` : ''}><summary>Use a password instead</summary>
<form method="post" action="${base}/login/password">
${hidden('return_to', returnTo)}
<label for="pw-email">Email</label>
<input id="pw-email" name="email" type="email" autocomplete="username" value="${email}" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${failed ? html` autofocus` : ''}>
<button type="submit">Sign in</button>
</form>
<p class="links"><a href="${base}/reset">Forgot your password?</a></p>
</details>`;
}

const PROVIDER_NAMES: Record<string, string> = { google: 'Google', github: 'GitHub' };

/** A configured social provider's start (`/api/auth/login/:provider?redirect=1&callback=…`). */
export interface SocialLink {
  id: string;
  href: string;
}

/**
 * The other ways in: a passkey (the button is shown by the page's script where WebAuthn works),
 * each configured social provider (its flow lands on /login/continue, which asks for TOTP when
 * due), and the sign-up page where passwords are offered (else the emailed code creates the account).
 */
function otherWays(
  base: string,
  returnTo: string,
  passwords: boolean,
  providers: readonly SocialLink[],
): SafeHTML {
  const keep = new URLSearchParams({ return_to: returnTo });
  const social = providers.map(
    (p) =>
      html`<a class="button secondary" href="${p.href}">Continue with ${PROVIDER_NAMES[p.id] ?? p.id}</a>`,
  );
  return html`<div class="divider">
<p class="error" role="alert" data-passkey-status hidden></p>
<button type="button" class="secondary" data-passkey-sign-in data-return-to="${returnTo}" hidden>Sign in with a passkey</button>
${social}
${
  passwords
    ? html`<p class="links">New here? <a href="${base}/signup?${keep.toString()}">Create an account</a></p>`
    : html`<p class="links">New here? Enter your email above: the code we send creates your account.</p>`
}
</div>`;
}

export function codeForm(base: string, email: string, returnTo: string, error?: string): SafeHTML {
  return html`<h1>Check your email</h1>
<p>Enter the 6-digit code we sent to <strong>${email}</strong>.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="${base}/login/verify">
${hidden('return_to', returnTo)}${hidden('email', email)}
<label for="code">Code</label>
<input id="code" name="code" class="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus>
<button type="submit">Sign in</button>
</form>`;
}

/**
 * The email's domain belongs to an org with SSO: offer its IdP first, and the emailed code still
 * (an account may predate the org's SSO). The offer depends on the domain alone, never on whether
 * the address has an account.
 */
export function ssoOffer(
  base: string,
  email: string,
  returnTo: string,
  startURL: string,
  captcha: SafeHTML,
): SafeHTML {
  return html`<h1>Sign in</h1>
<p>Your organisation signs in <strong>${email}</strong> through its identity provider.</p>
<p><a href="${startURL}">Continue with SSO</a></p>
<form method="post" action="${base}/login/code">
${hidden('return_to', returnTo)}${hidden('email', email)}${hidden('skip_sso', '1')}
${captcha}<button type="submit" class="secondary">Email me a code instead</button>
</form>`;
}

export function totpForm(base: string, mfaToken: string, returnTo: string, error?: string): SafeHTML {
  return html`<h1>Two-factor authentication</h1>
<p>Enter the code from your authenticator app, or a backup code.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="${base}/login/totp">
${hidden('return_to', returnTo)}${hidden('mfa_token', mfaToken)}
<label for="totp">Code</label>
<input id="totp" name="code" class="code" type="text" autocomplete="one-time-code" maxlength="9" required autofocus>
<label class="check"><input type="checkbox" name="trust_device" value="1"> Trust this browser for 30 days</label>
<button type="submit">Verify</button>
</form>`;
}

/**
 * The TOTP step once this sign-in cannot go on (it expired, or wrong codes locked this address
 * out): what happened and what to do, with no code field, which could only be refused again.
 */
export function totpEnded(base: string, returnTo: string, error: string): SafeHTML {
  const again = new URLSearchParams({ return_to: returnTo });
  return html`<h1>Two-factor authentication</h1>
<p class="error" role="alert">${error}</p>
<p><a class="button" href="${base}/login?${again.toString()}">Sign in again</a></p>`;
}
