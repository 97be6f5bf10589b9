import { z } from 'zod';
import type { AppContext } from '../../http/context.js';
import { html } from '../../pages/html.js';
import { pageBase, renderPage } from '../../pages/page-context.js';
import type { Identity } from '../identity/identity.js';
import { revokeConsent } from '../oauth-server/consent-actions.js';
import type { ConsentStore } from '../oauth-server/consent-store.js';
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
  type Shown,
  when,
} from './page-kit.js';

const form = pageForm({
  consent_id: z.string().max(100).optional(),
  org: z.string().max(64).optional(),
});

/**
 * `/account/apps`: the OAuth clients (MCP clients, apps signing in with Pylon) the person allowed,
 * per MCP server (resource) and org, each revocable — which also revokes every refresh token
 * issued under that consent, so the client must ask again.
 */
export function appsPageRoutes(identity: Identity, consents: ConsentStore) {
  const { services } = identity;

  async function show(c: AppContext, session: PageSession, shown: Shown = {}, status = 200) {
    const base = pageBase(c);
    const csrf = csrfToken(c, services);
    const list = await consents.listForUser(session.userId);
    const rows = list.map(
      (
        consent,
      ) => html`<li><span><bdi>${consent.clientName}</bdi> <span class="meta">for <code>${consent.resource}</code> · org ${consent.orgId} · scope ${consent.scope || '(none)'} · allowed ${when(consent.createdAt)}</span></span>
<form method="post" action="${base}/account/apps/revoke">
${csrfField(csrf)}<input type="hidden" name="consent_id" value="${consent.id}"><input type="hidden" name="org" value="${consent.orgId}">
<button type="submit" class="small danger" aria-label="Revoke ${consent.clientName}'s access to ${consent.resource}">Revoke</button>
</form></li>`,
    );
    const body = html`<h1>Connected apps</h1>
<p>Apps and MCP clients you allowed to act for you. Revoking one ends its access at once: its refresh tokens stop working and it must ask you again.</p>
${notice('error', shown.error)}${notice('ok', shown.ok)}
${list.length ? html`<ul class="list">${rows}</ul>` : html`<p>You have not allowed any app.</p>`}`;
    return renderPage(c, 'Connected apps', body, status, undefined, accountPage(base, '/account/apps'));
  }

  return [
    pageGet(
      services,
      { path: '/account/apps', summary: 'The account page: connected apps (OAuth consents)' },
      (c, s) => show(c, s),
    ),
    pagePost(
      services,
      {
        path: '/account/apps/revoke',
        summary: 'Account page: revoke an app’s access (an OAuth consent)',
        body: form,
        back: '/account/apps',
        show,
      },
      async (c, session, body) => {
        await revokeConsent(services, consents, {
          orgId: body.org ?? '',
          userId: session.userId,
          id: body.consent_id ?? '',
          ...facts(c, services),
        });
        return { ok: 'Access revoked.' };
      },
    ),
  ];
}
