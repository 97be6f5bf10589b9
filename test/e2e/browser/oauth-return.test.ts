import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN, call, pkce } from '../../../packages/server/test/oauth-server/support.js';
import type { TestServer } from '../../../packages/server/test/support/server.js';
import {
  type BrowserTarget,
  describeInChromium,
  signInWithEmailedCode,
  startBrowserTarget,
} from './support.js';

const EMAIL = 'returning@example.com';
const PASSWORD = 'correct horse battery staple';

/**
 * A person who already allowed an app signs in again on /login (a new browser): the sign-in form's
 * POST is answered by a redirect to the authorisation endpoint, which redirects on to the relying
 * party's callback, on another origin. Chromium applies the form page's CSP `form-action` to that
 * whole redirect chain, so the sign-in pages must allow the request's registered redirect URI.
 */
describeInChromium('a returning person signs in and gets back to the app in Chromium', () => {
  let target: BrowserTarget;
  let t: TestServer;
  let url: string;
  let relyingParty: Server;
  let callback: string;
  let clientId: string;
  const received: URL[] = [];

  beforeAll(async () => {
    target = await startBrowserTarget({ env: { PYLON_ADMIN_TOKEN: ADMIN } });
    ({ t, url } = target);
    // The relying party: a loopback server on its own port (so its own origin) that records the
    // callbacks it receives.
    relyingParty = createServer((request, response) => {
      received.push(new URL(request.url ?? '/', 'http://127.0.0.1'));
      response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Back in Wiki</h1>');
    });
    await new Promise<void>((resolve) => relyingParty.listen(0, '127.0.0.1', resolve));
    callback = `http://127.0.0.1:${(relyingParty.address() as AddressInfo).port}/callback`;
    const created = await call(t, 'POST', '/o/default/oauth/clients', {
      body: { client_name: 'Wiki', redirect_uris: [callback] },
    });
    expect(created.status).toBe(201);
    clientId = created.body.client_id as string;
    const registered = await call(t, 'POST', '/api/auth/password/register', {
      body: { email: EMAIL, password: PASSWORD },
      token: null,
    });
    expect(registered.status).toBe(200);
    // Proven from its own session, so the emailed code later is no first proof (which would end
    // the password and the consent an unproven holder of the address could have set).
    const token = registered.body.token as string;
    const sent = await call(t, 'POST', '/api/auth/email/send-verification', { token });
    const verified = await call(t, 'POST', '/api/auth/email/verify', {
      body: { code: sent.body.dev_code },
      token,
    });
    expect(verified.status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await target?.close();
    await new Promise((resolve) => relyingParty?.close(resolve));
  });

  /** In a new browser: the app's authorisation request, which lands on the sign-in page. */
  async function authorizeInNewBrowser(state: string): Promise<Page> {
    const context = await target.browser.newContext();
    const page = await context.newPage();
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: callback,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      scope: 'openid email',
      state,
    });
    await page.goto(`${url}/o/default/oauth/authorize?${params}`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    return page;
  }

  async function signInWithPassword(page: Page): Promise<void> {
    await page.getByText('Use a password instead').click();
    await page.getByLabel('Email').nth(1).fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  /** The relying party received the code for `state`, and the browser is on its page. */
  async function expectCallback(page: Page, state: string): Promise<void> {
    await page.getByRole('heading', { name: 'Back in Wiki' }).waitFor();
    const answer = received.find((query) => query.searchParams.get('state') === state);
    expect(answer?.pathname).toBe('/callback');
    expect(answer?.searchParams.get('code')).toMatch(/.+/);
    expect(answer?.searchParams.get('error')).toBeNull();
    await page.context().close();
  }

  it('allows the app once (the consent page), then gets back after a password sign-in and a code sign-in', async () => {
    const first = await authorizeInNewBrowser('first');
    await signInWithPassword(first);
    await first.getByRole('heading', { name: 'Allow access?' }).waitFor();
    await first.getByRole('button', { name: 'Allow' }).click();
    await expectCallback(first, 'first');

    // Returning, consented: the sign-in form's POST redirects through /oauth/authorize to Wiki.
    const byPassword = await authorizeInNewBrowser('by-password');
    await signInWithPassword(byPassword);
    await expectCallback(byPassword, 'by-password');

    t.clock.advance(61_000); // past the one-a-minute throttle of codes to the address
    const byCode = await authorizeInNewBrowser('by-code');
    await signInWithEmailedCode(byCode, t, EMAIL);
    await expectCallback(byCode, 'by-code');
  }, 90_000);
});
