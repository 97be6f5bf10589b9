import { PylonError } from '@pylon/core';
import { z } from 'zod';
import { auditEntryBody, queryPersonAudit } from '../../audit/audit-log.js';
import type { AppContext } from '../../http/context.js';
import { html } from '../../pages/html.js';
import { pageBase, renderPage } from '../../pages/page-context.js';
import { unlinkIdentity } from '../account/linked-accounts.js';
import { createAPIKey, EXPIRY_PASSED, EXPIRY_TOO_FAR, revokeAPIKey } from '../api-keys/api-key-actions.js';
import type { APIKeyStore } from '../api-keys/api-key-store.js';
import type { Identity } from '../identity/identity.js';
import { awaitsProofToLink } from '../oauth/link-identity.js';
import { activityPhrase, activityPlace } from './activity-labels.js';
import {
  accountPage,
  csrfField,
  csrfToken,
  facts,
  notice,
  PageRefusal,
  type PageSession,
  pageForm,
  pageGet,
  pagePost,
  type Shown,
  when,
} from './page-kit.js';

const form = pageForm({
  name: z.string().max(100).optional(),
  expires: z.string().max(10).optional(),
  key_id: z.string().max(100).optional(),
  provider: z.string().max(64).optional(),
  subject: z.string().max(512).optional(),
});

/**
 * Why a link did not complete, as the link callback reports it (`/account/linked?error=CODE`).
 * Anyone can put any `error` in a link to this page: only these fixed sentences are ever shown.
 */
const LINK_FAILURES = new Map<string, string>([
  [
    'IDENTITY_ALREADY_LINKED',
    'That account is already linked to another account here. Sign in to that one and unlink it there first.',
  ],
  [
    'LINK_SESSION_MISMATCH',
    'The link was finished in another browser or session than the one that started it, so nothing was linked. Start again from this page.',
  ],
  ['EMAIL_NOT_VERIFIED', 'Verify your email address before linking another account.'],
  [
    'OAUTH_PROVIDER_ERROR',
    'The provider did not allow the link: it was cancelled or refused. Nothing was linked.',
  ],
  ['OAUTH_TOKEN_EXCHANGE_FAILED', 'The provider could not complete the link. Try again.'],
]);
const LINK_FAILED = 'The account was not linked. Try again.';

/** An `error` longer than any code still reports a failure (the general sentence), never a JSON refusal. */
const linkedQuery = z.object({ error: z.string().max(64).optional().catch('') });

/** createAPIKey's refusals of an expiry, said of the form's field (docs/PAGES.md, "Refusals"). */
const EXPIRY_REFUSALS = new Map<string, string>([
  [EXPIRY_PASSED, 'Expires must be a day after today, or left empty for a key that does not expire.'],
  [EXPIRY_TOO_FAR, 'Expires is too far ahead: at most ten years from today.'],
]);

/** The use case's refusal of the expiry as a sentence about the field; any other error as it was. */
function expiryRefusal(error: unknown): unknown {
  const sentence =
    error instanceof PylonError && error.code === 'VALIDATION_FAILED'
      ? EXPIRY_REFUSALS.get(error.message)
      : undefined;
  return sentence === undefined ? error : new PageRefusal(sentence);
}

const PROVIDER_NAMES: Record<string, string> = { google: 'Google', github: 'GitHub' };
const providerName = (id: string) =>
  PROVIDER_NAMES[id] ?? (id.startsWith('sso:') ? `SSO (${id.slice(4)})` : id);

/** How many entries `/account/activity` shows: the latest, as `GET /api/auth/audit` does by default. */
const ACTIVITY_LIMIT = 50;

/**
 * `/account/api-keys` (create: the key is shown once; revoke), `/account/linked` (linked sign-in
 * providers: link one more, unlink) and `/account/activity` (the person's own audit events).
 */
export function keysPageRoutes(identity: Identity, keys: APIKeyStore) {
  const { services } = identity;

  async function apiKeys(
    c: AppContext,
    session: PageSession,
    shown: Shown & { created?: { key: string; name: string } } = {},
    status = 200,
  ) {
    const base = pageBase(c);
    const csrf = csrfToken(c, services);
    const list = await keys.list(session.userId);
    const rows = list.map(
      (
        key,
      ) => html`<li><span>${key.name ?? 'Unnamed key'} <code>pk.${key.id}</code><span class="meta">created ${when(key.createdAt)} · expires ${when(key.expiresAt)} · last used ${when(key.lastUsedAt)}</span></span>
<form method="post" action="${base}/account/api-keys/revoke">
${csrfField(csrf)}<input type="hidden" name="key_id" value="${key.id}">
<button type="submit" class="small danger" aria-label="Revoke the key ${key.name ?? key.id}">Revoke</button>
</form></li>`,
    );
    const body = html`<h1>API keys</h1>
<p>A key acts as you from scripts and servers (<code>Authorization: Bearer pk.…</code>). Keep it secret; revoke it when it is no longer needed.</p>
${notice('error', shown.error)}${notice('ok', shown.ok)}
${
  shown.created
    ? html`<p class="ok" role="status">Your new key “${shown.created.name}”. Copy it now: it is shown only once.</p>
<p class="secret" aria-label="New API key">${shown.created.key}</p>`
    : ''
}
${list.length ? html`<ul class="list">${rows}</ul>` : html`<p>You have no API keys.</p>`}
<h2>Create a key</h2>
<form method="post" action="${base}/account/api-keys">
${csrfField(csrf)}
<label for="key-name">Name</label>
<input id="key-name" name="name" type="text" maxlength="100" required placeholder="e.g. deploy script" value="${shown.posted?.name ?? ''}">
<label for="key-expires">Expires (optional)</label>
<input id="key-expires" name="expires" type="date" value="${shown.posted?.expires ?? ''}">
<button type="submit">Create key</button>
</form>`;
    return renderPage(c, 'API keys', body, status, undefined, accountPage(base, '/account/api-keys'));
  }

  async function linked(c: AppContext, session: PageSession, shown: Shown = {}, status = 200) {
    const base = pageBase(c);
    const csrf = csrfToken(c, services);
    const list = await identity.users.listIdentities(session.userId);
    const rows = list.map(
      (
        l,
      ) => html`<li><span>${providerName(l.provider)}<span class="meta">${l.email ?? l.subject} · linked ${when(l.createdAt)}</span></span>
<form method="post" action="${base}/account/linked/unlink">
${csrfField(csrf)}<input type="hidden" name="provider" value="${l.provider}"><input type="hidden" name="subject" value="${l.subject}">
<button type="submit" class="small danger" aria-label="Unlink ${providerName(l.provider)} ${l.email ?? ''}">Unlink</button>
</form></li>`,
    );
    const callback = `${services.config.publicURL}${base}/account/linked`;
    // The link start would refuse it (EMAIL_NOT_VERIFIED): the page says so instead of offering it.
    const offers =
      services.config.oauthProviders.length > 0 && awaitsProofToLink(session)
        ? html`<p>To link another account, first <a href="${base}/verify-email">verify your email address</a>.</p>`
        : services.config.oauthProviders.map(
            (p) =>
              html`<a class="button secondary" href="/api/auth/login/${p.id}?link=1&amp;redirect=1&amp;callback=${encodeURIComponent(callback)}">Link ${providerName(p.id)}</a>`,
          );
    const body = html`<h1>Linked accounts</h1>
<p>Outside accounts you can sign in with.</p>
${notice('error', shown.error)}${notice('ok', shown.ok)}
${list.length ? html`<ul class="list">${rows}</ul>` : html`<p>No accounts are linked.</p>`}
${offers}`;
    return renderPage(c, 'Linked accounts', body, status, undefined, accountPage(base, '/account/linked'));
  }

  const expiry = (raw: string | undefined): number | null => {
    if (raw === undefined || raw === '') return null;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) return Number.NaN;
    // The end of the chosen day, UTC.
    return Date.parse(`${raw}T23:59:59Z`);
  };

  return [
    pageGet(services, { path: '/account/api-keys', summary: 'The account page: API keys' }, (c, s) =>
      apiKeys(c, s),
    ),
    pagePost(
      services,
      {
        path: '/account/api-keys',
        summary: 'Account page: create an API key (shown once)',
        body: form,
        back: '/account/api-keys',
        show: apiKeys,
      },
      async (c, session, body) => {
        const expiresAt = expiry(body.expires);
        if (Number.isNaN(expiresAt)) throw new PageRefusal('Expires is not a date: choose a day.');
        const name = body.name?.trim() || 'Unnamed key';
        const created = await createAPIKey(identity, keys, facts(c, services), {
          userId: session.userId,
          sessionId: session.sessionId,
          name,
          scopes: [],
          expiresAt,
        }).catch((error: unknown) => {
          throw expiryRefusal(error);
        });
        return { created: { key: created.key, name } };
      },
    ),
    pagePost(
      services,
      {
        path: '/account/api-keys/revoke',
        summary: 'Account page: revoke an API key',
        body: form,
        back: '/account/api-keys',
        show: apiKeys,
      },
      async (c, session, body) => {
        await revokeAPIKey(services, keys, facts(c, services), {
          userId: session.userId,
          id: body.key_id ?? '',
        });
        return { ok: 'The key was revoked; it no longer works.' };
      },
    ),
    pageGet(
      services,
      { path: '/account/linked', summary: 'The account page: linked accounts', query: linkedQuery },
      (c, s, query) =>
        linked(
          c,
          s,
          query.error === undefined ? {} : { error: LINK_FAILURES.get(query.error) ?? LINK_FAILED },
        ),
    ),
    pagePost(
      services,
      {
        path: '/account/linked/unlink',
        summary: 'Account page: unlink an outside account',
        body: form,
        back: '/account/linked',
        show: linked,
      },
      async (c, session, body) => {
        await unlinkIdentity(identity, facts(c, services), {
          userId: session.userId,
          provider: body.provider ?? '',
          subject: body.subject ?? '',
        });
        return { ok: 'The account was unlinked.' };
      },
    ),
    pageGet(
      services,
      { path: '/account/activity', summary: 'The account page: your audit events' },
      async (c, session) => {
        const base = pageBase(c);
        const page = await queryPersonAudit(services.storage.db, {
          userId: session.userId,
          email: session.email,
          latest: true,
          limit: ACTIVITY_LIMIT,
        });
        const rows = [...page.entries].reverse().map((entry) => {
          const e = auditEntryBody(entry);
          const phrase = activityPhrase(e.action, e.detail);
          const what =
            phrase === null
              ? html`<code>${e.action}</code>`
              : html`${phrase} <code class="meta">${e.action}</code>`;
          const by = e.actor_id === session.userId ? 'you' : e.actor;
          const [day, ...time] = when(e.ts).split(' ');
          return html`<tr><td class="when"><span>${day}</span> <span>${time.join(' ')}</span></td><td>${what}</td><td>${by}</td><td>${activityPlace(e.org)}</td></tr>`;
        });
        const body = html`<h1>Activity</h1>
<p>The latest ${ACTIVITY_LIMIT} things you did, and that were done to your account, newest first.</p>
${
  rows.length
    ? html`<div class="scroll"><table><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">By</th><th scope="col">Where</th></tr></thead><tbody>${rows}</tbody></table></div>`
    : html`<p>Nothing yet.</p>`
}`;
        return renderPage(c, 'Activity', body, 200, undefined, accountPage(base, '/account/activity'));
      },
    ),
  ];
}
