import { PylonError } from '@pylon/core';
import type { AppContext } from '../http/context.js';
import { html } from './html.js';
import { acceptsHTML } from './not-found-page.js';
import { pageBase, renderPage } from './page-context.js';

/**
 * What a person reads when a sign-in callback (social, org SSO) is refused before it knows where
 * to send them back: the state is what names that place, and it is the state that failed.
 */
const MESSAGES: Readonly<Record<string, string>> = {
  OAUTH_INVALID_STATE:
    'This sign-in link has expired, was already used, or was opened in another browser. A sign-in has to finish in the browser that started it, within 10 minutes.',
  INVALID_SSO_STATE:
    'This sign-in link has expired, was already used, or was opened in another browser. A sign-in has to finish in the browser that started it, within 10 minutes.',
  PROVIDER_NOT_FOUND: 'This sign-in provider is not set up here.',
  SSO_NOT_CONFIGURED: 'This organisation does not sign in this way.',
};

/**
 * A refused callback as a page for a person's browser (its Accept names HTML: the provider's
 * redirect and its form post are both navigations), under the refusal's status and with its code
 * shown, and a way back to the sign-in page. API clients keep the JSON error.
 */
export async function answerCallbackRefusal(c: AppContext, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof PylonError) || !acceptsHTML(c)) throw error;
    for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
    const base = pageBase(c);
    return renderPage(
      c,
      'Sign-in failed',
      html`<h1>This sign-in cannot continue</h1>
<p class="error" role="alert">${MESSAGES[error.code] ?? error.message}</p>
<p class="meta">Error code: <code>${error.code}</code></p>
<p class="links"><a href="${base}/login">Back to sign-in</a></p>`,
      error.status,
    );
  }
}
