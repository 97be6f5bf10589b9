import { z } from 'zod';
import type { AppContext } from '../../http/context.js';
import { PAGE_SCRIPTS } from '../../pages/assets.js';
import { html, type SafeHTML, SCRIPT_PAGE_CSP } from '../../pages/html.js';
import { pageBase, renderPage } from '../../pages/page-context.js';
import type { Identity } from '../identity/identity.js';
import { changePassword } from '../identity/password-change.js';
import { requireRecentSignIn } from '../identity/reauthentication.js';
import {
  confirmTOTP,
  disableTOTP,
  pendingTOTPEnrolment,
  regenerateBackupCodes,
  startTOTPEnrolment,
} from '../mfa/totp-enrolment.js';
import type { PasskeyStore } from '../passkeys/passkey-store.js';
import { removePasskey } from '../passkeys/passkeys.js';
import {
  accountPage,
  csrfField,
  csrfToken,
  facts,
  notice,
  type PageSession,
  pageForm,
  pageGet,
  pagePost,
  refusalFor,
  type Shown,
  when,
} from './page-kit.js';

const form = pageForm({
  current_password: z.string().max(1024).optional(),
  new_password: z.string().max(1024).optional(),
  code: z.string().max(64).optional(),
  passkey_id: z.string().max(100).optional(),
});

/** What the page shows once, after an action: a new secret to scan, or fresh backup codes. */
type SecurityShown = Shown & {
  enrolment?: { secret: string; url: string };
  backupCodes?: string[];
};

/**
 * `/account/security`: the password, two-factor authentication (TOTP with backup codes), and
 * passkeys. Adding a passkey needs WebAuthn in the browser, so that button comes from the page's
 * one static script; everything else is a plain form.
 */
export function securityPageRoutes(identity: Identity, passkeys: PasskeyStore) {
  const { services } = identity;
  const issuer = services.config.brand.name;

  async function show(c: AppContext, session: PageSession, shown: SecurityShown = {}, status = 200) {
    const base = pageBase(c);
    const csrf = csrfToken(c, services);
    const user = await identity.users.findById(session.userId);
    const totpOn = await identity.mfa.isEnabled(session.userId);
    const keys = await passkeys.listOf(session.userId);
    const signInAgain = new URLSearchParams({ return_to: `${base}/account/security` });

    // Without passwords on this deployment (config.passwords) there is nothing to set or change.
    const password = !services.config.passwords
      ? ''
      : user?.passwordHash
        ? html`<form method="post" action="${base}/account/password">
${csrfField(csrf)}
<input type="text" name="username" autocomplete="username" value="${session.email ?? ''}" hidden>
<label for="current-password">Current password</label>
<input id="current-password" name="current_password" type="password" autocomplete="current-password" required>
<label for="new-password">New password</label>
<input id="new-password" name="new_password" type="password" autocomplete="new-password" minlength="10" maxlength="256" required>
<button type="submit">Change password</button>
</form>`
        : html`<p>Your account has no password. To set one, <a href="${base}/reset">ask for a reset code</a>.</p>`;

    let totp: SafeHTML;
    if (shown.backupCodes) {
      totp = html`<p class="ok" role="status">Save these backup codes somewhere safe. Each works once, in place of a code from your app; they are shown only now.</p>
<ol class="codes">${shown.backupCodes.map((code) => html`<li>${code}</li>`)}</ol>`;
    } else if (shown.enrolment) {
      totp = html`${notice('error', shown.error)}<p>Add this key to your authenticator app (choose “enter a setup key”), then enter the 6-digit code it shows.</p>
<p class="secret" aria-label="Setup key">${shown.enrolment.secret}</p>
<p><a href="${shown.enrolment.url}">Open in an authenticator app on this device</a></p>
<form method="post" action="${base}/account/totp/confirm">
${csrfField(csrf)}
<label for="totp-code">Code from the app</label>
<input id="totp-code" name="code" class="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required autofocus>
<button type="submit">Turn on two-factor authentication</button>
</form>`;
    } else if (totpOn) {
      totp = html`<p><span class="tag">on</span> Signing in with an emailed code, a password or a linked account also asks for a code from your authenticator app, or a backup code. A passkey does not ask for one (it is two factors by itself), nor does a browser you chose to trust, for 30 days.</p>
<form method="post" action="${base}/account/totp/backup-codes">
${csrfField(csrf)}
<button type="submit" class="secondary">Make new backup codes</button>
</form>
<form method="post" action="${base}/account/totp/disable">
${csrfField(csrf)}
<label for="disable-code">To turn it off, enter a code from the app or a backup code</label>
<input id="disable-code" name="code" class="code" type="text" autocomplete="one-time-code" maxlength="9" required>
<button type="submit" class="danger">Turn off two-factor authentication</button>
</form>`;
    } else {
      totp = html`<p>After an emailed code, a password or a linked account, ask for a code from an authenticator app too.</p>
<form method="post" action="${base}/account/totp/enroll">
${csrfField(csrf)}
<button type="submit">Set up two-factor authentication</button>
</form>`;
    }

    const passkeyRows = keys.map(
      (
        key,
      ) => html`<li><span>${key.name}<span class="meta">added ${when(key.createdAt)} · last used ${when(key.lastUsedAt)}</span></span>
<form method="post" action="${base}/account/passkeys/remove">
${csrfField(csrf)}<input type="hidden" name="passkey_id" value="${key.id}">
<button type="submit" class="small danger" aria-label="Remove the passkey ${key.name}">Remove</button>
</form></li>`,
    );

    // A refusal of the set-up's first code is said beside its form (above), not at the top.
    const body = html`<h1>Security</h1>
${notice('error', shown.enrolment ? undefined : shown.error)}${notice('ok', shown.ok)}
${
  password
    ? html`<h2>Password</h2>
${password}`
    : ''
}
<h2>Two-factor authentication</h2>
${totp}
<h2>Passkeys</h2>
<p>Sign in with your device’s screen lock or a security key instead of a code or password.</p>
${keys.length ? html`<ul class="list">${passkeyRows}</ul>` : html`<p>You have no passkeys yet.</p>`}
<p class="error" role="alert" data-passkey-status hidden></p>
<p class="error" role="alert" data-passkey-reauth hidden>For your security, adding a passkey needs a sign-in from the last 5 minutes. <a href="${base}/login?${signInAgain.toString()}">Sign in again</a>, and you will come back here to add it.</p>
<div data-passkey-register hidden>
<label for="passkey-name">Name for the new passkey</label>
<input id="passkey-name" type="text" maxlength="100" placeholder="e.g. This laptop">
<button type="button">Add a passkey</button>
</div>
<noscript><p>Adding a passkey needs JavaScript.</p></noscript>`;
    return renderPage(c, 'Security', body, status, SCRIPT_PAGE_CSP, {
      ...accountPage(base, '/account/security'),
      scripts: [`${base}${PAGE_SCRIPTS.passkeys.path}`],
    });
  }

  const post = (
    path: string,
    summary: string,
    run: (c: AppContext, s: PageSession, body: z.infer<typeof form>) => Promise<SecurityShown | Response>,
  ) => pagePost(services, { path, summary, body: form, back: '/account/security', show }, run);

  return [
    pageGet(
      services,
      { path: '/account/security', summary: 'The account page: password, two-factor, passkeys' },
      (c, s) => show(c, s),
    ),
    post(
      '/account/password',
      'Account page: change the password (signs out the other sessions)',
      async (c, s, body) => {
        const revoked = await changePassword(identity, facts(c, services), {
          userId: s.userId,
          sessionId: s.sessionId,
          currentPassword: body.current_password,
          newPassword: body.new_password,
        });
        return {
          ok: `Password changed. ${revoked} other session${revoked === 1 ? ' was' : 's were'} signed out.`,
        };
      },
    ),
    post(
      '/account/totp/enroll',
      'Account page: start two-factor set-up (the key is shown once)',
      async (_c, s) => ({
        enrolment: await startTOTPEnrolment(identity, {
          userId: s.userId,
          sessionId: s.sessionId,
          account: s.email ?? s.userId,
          issuer,
        }),
      }),
    ),
    post(
      '/account/totp/confirm',
      'Account page: turn two-factor on with the first code',
      async (c, s, body) => {
        try {
          const codes = await confirmTOTP(identity, facts(c, services), {
            userId: s.userId,
            code: body.code,
          });
          return codes === null ? { ok: 'Two-factor authentication is on.' } : { backupCodes: codes };
        } catch (error) {
          // A wrong first code asks again for the same key: the set-up is kept, not thrown away.
          const pending = await pendingTOTPEnrolment(identity, {
            userId: s.userId,
            account: s.email ?? s.userId,
            issuer,
          });
          if (pending === null) throw error;
          // Showing the key again is showing it anew: only to a recent sign-in, as at the start.
          await requireRecentSignIn(identity, s);
          const refusal = refusalFor(c, error);
          return show(c, s, { enrolment: pending, error: refusal.message }, refusal.status);
        }
      },
    ),
    post('/account/totp/disable', 'Account page: turn two-factor off with a code', async (c, s, body) => {
      await disableTOTP(identity, facts(c, services), { userId: s.userId, code: body.code });
      return { ok: 'Two-factor authentication is off.' };
    }),
    post('/account/totp/backup-codes', 'Account page: new backup codes (shown once)', async (c, s) => ({
      backupCodes: await regenerateBackupCodes(identity, facts(c, services), s),
    })),
    post('/account/passkeys/remove', 'Account page: remove a passkey', async (c, s, body) => {
      await removePasskey(identity, passkeys, facts(c, services), {
        userId: s.userId,
        id: body.passkey_id ?? '',
      });
      return { ok: 'The passkey was removed.' };
    }),
  ];
}
