import { toBase64URL } from '../crypto/random.js';
import { hashToken } from '../crypto/tokens.js';
import type { AppContext, Services } from '../http/context.js';
import { getAuth } from '../http/get-auth.js';
import { type AnyRoute, defineRoute } from '../http/route-table.js';
import { html } from './html.js';
import { pageBase, renderPage } from './page-context.js';

const TTL_MS = 5 * 60_000;

/** The kept page: its HTML and the CSP it was rendered under (always a 200: only those are kept). */
interface Content {
  html: string;
  csp: string | null;
}

/**
 * Post/redirect/get for the hosted forms (the console, the account pages): the outcome page of a
 * form that did something is kept — sealed, since it may show a one-time secret (an API key, an
 * app token, a client secret, an invite link) — and the browser is sent to `GET /shown/{id}`,
 * which shows it once to the session that posted. Reloading that page shows "already shown"
 * and does nothing again, where reloading the form's answer would have posted it again (a second
 * invite, key, rotation). Refusals (4xx) are answered in place: posting them again changes nothing.
 */
export interface ShownOnce {
  /** The redirect to `response`'s page, kept for `sessionId`; any other answer as it is. */
  redirect(c: AppContext, sessionId: string | undefined, response: Response): Promise<Response>;
  routes: AnyRoute[];
}

const byServices = new WeakMap<Services, ShownOnce>();

/** The server's ShownOnce: one per server (it holds nothing but the services). */
export function shownOnceOf(services: Services): ShownOnce {
  let shown = byServices.get(services);
  if (shown === undefined) {
    shown = createShownOnce(services);
    byServices.set(services, shown);
  }
  return shown;
}

function createShownOnce(services: Services): ShownOnce {
  const { db } = services.storage;
  const location = (idHash: string) => ({ table: 'shown_once', column: 'content_sealed', row: idHash });
  return {
    async redirect(c, sessionId, response) {
      const type = response.headers.get('content-type') ?? '';
      if (sessionId === undefined || response.status !== 200 || !type.startsWith('text/html'))
        return response;
      const content: Content = {
        html: await response.text(),
        csp: response.headers.get('content-security-policy'),
      };
      const id = toBase64URL(services.random.bytes(24));
      const idHash = hashToken(id);
      const now = services.clock.now();
      await db.deleteFrom('shown_once').where('expires_at', '<=', now).execute();
      await db
        .insertInto('shown_once')
        .values({
          id_hash: idHash,
          session_id: sessionId,
          content_sealed: services.sealer.seal(JSON.stringify(content), location(idHash)),
          expires_at: now + TTL_MS,
        })
        .execute();
      return c.redirect(`${pageBase(c)}/shown/${id}`, 303);
    },
    routes: [
      defineRoute({
        method: 'get',
        path: '/shown/:id',
        summary: "A hosted form's outcome page, shown once to the session that posted the form",
        tags: ['pages'],
        responses: {
          200: { description: 'HTML: the outcome' },
          410: { description: 'HTML: already shown, expired, or another session’s; nothing was done again' },
        },
        handler: async (c) => {
          const id = c.req.param('id') ?? '';
          const auth = await Promise.resolve()
            .then(() => getAuth(c, services))
            .catch(() => null);
          const idHash = hashToken(id);
          const row =
            auth?.sessionId === undefined || id.length > 64
              ? undefined
              : await db
                  .deleteFrom('shown_once')
                  .where('id_hash', '=', idHash)
                  .where('session_id', '=', auth.sessionId)
                  .where('expires_at', '>', services.clock.now())
                  .returning('content_sealed')
                  .executeTakeFirst();
          if (row === undefined) {
            const base = pageBase(c);
            return renderPage(
              c,
              'Already shown',
              html`<h1>Already shown</h1>
<p>This page showed what a form did, once. It is not shown again, and nothing was done again.</p>
<p class="links"><a href="${base}/account">Your account</a> · <a href="/console">Console</a></p>`,
              410,
            );
          }
          const content = JSON.parse(services.sealer.open(row.content_sealed, location(idHash))) as Content;
          if (content.csp !== null) c.header('Content-Security-Policy', content.csp);
          c.header('Referrer-Policy', 'same-origin');
          c.header('Cache-Control', 'no-store');
          return c.html(content.html);
        },
      }),
    ],
  };
}
