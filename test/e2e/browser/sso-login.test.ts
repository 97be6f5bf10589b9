import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listening, listen } from '../../../packages/server/src/platform/listen.js';
import { testDatabases } from '../../../packages/server/test/support/databases.js';
import { startTestIdP, type TestIdP } from '../../../packages/server/test/support/peers/oidc-idp.js';
import { startTestServer, type TestServer } from '../../../packages/server/test/support/server.js';

const CHROMIUM = '/usr/bin/chromium';
/** Where the screenshots go, to look at by hand (`PYLON_SCREENSHOTS=/tmp/shots`). */
const SHOTS = process.env.PYLON_SCREENSHOTS;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

// Per-org OIDC SSO from the hosted login page, in a real browser with JavaScript off on our pages:
// the address's domain is claimed by acme, so the page offers acme's IdP (a real oidc-provider on
// loopback); the person signs in there, consents, and comes back signed in and a member of acme.
// A refused sign-in at the IdP lands back on /login with the reason.
describe.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')(
  'SSO from the hosted login page in Chromium',
  () => {
    let t: TestServer;
    let idp: TestIdP;
    let listening: Listening;
    let browser: Browser;
    let url: string;

    const api = async (method: string, path: string, body: unknown, token?: string) => {
      const response = await fetch(`${url}/api/auth${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, string> };
    };
    const shot = async (page: Page, name: string) => {
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/sso-${name}.png`, fullPage: true });
    };
    /** /login → the address → the SSO offer → follow it to the IdP's login page. */
    const toIdP = async (page: Page, email: string, prefix: string) => {
      await page.goto(`${url}/login?return_to=/login/done`);
      await page.getByLabel('Email').first().fill(email);
      await shot(page, `${prefix}-1-login`);
      await page.getByRole('button', { name: 'Email me a code' }).click();
      await page.getByRole('link', { name: 'Continue with SSO' }).waitFor();
      await shot(page, `${prefix}-2-offer`);
      await page.getByRole('link', { name: 'Continue with SSO' }).click();
      await page.locator('input[name="login"]').waitFor();
      expect(page.url().startsWith(`${idp.issuer}/`)).toBe(true);
      await shot(page, `${prefix}-3-idp-login`);
    };

    beforeAll(async () => {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      idp = await startTestIdP(`${url}/api/auth/orgs/acme/sso/callback`);
      t = await startTestServer(testDatabases[0]!, { env: { PYLON_PUBLIC_URL: url } });
      // The IdP signs with real time; Pylon's clock must agree for the state and the id_token.
      t.clock.set(Date.now());
      listening = await listen(t.server.fetch, port, '127.0.0.1');
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });

      const sent = await api('POST', '/magic/send', { email: 'owner@acme.test' });
      const owner = await api('POST', '/magic/verify', {
        email: 'owner@acme.test',
        code: sent.body.dev_code,
      });
      expect((await api('POST', '/orgs', { name: 'Acme', id: 'acme' }, owner.body.token)).status).toBe(201);
      const configured = await api(
        'PUT',
        '/orgs/acme/sso',
        {
          issuer_url: idp.issuer,
          client_id: idp.clientId,
          client_secret: idp.clientSecret,
          email_domains: ['acme.test'],
        },
        owner.body.token,
      );
      expect(configured.status, JSON.stringify(configured.body)).toBe(200);
      idp.accounts.set('alice', { email: 'alice@acme.test', email_verified: true });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await listening?.close(1000);
      await t?.close();
      await idp?.close();
    });

    it('signs in at the org’s IdP and comes back signed in, a member of the org', async () => {
      // Our pages have no script; the IdP's pages are its own and may use what they like.
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await toIdP(page, 'alice@acme.test', 'ok');

      await page.locator('input[name="login"]').fill('alice');
      await page.locator('input[name="password"]').fill('any');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      await page.getByRole('button', { name: 'Continue' }).waitFor();
      await shot(page, 'ok-4-idp-consent');
      await page.getByRole('button', { name: 'Continue' }).click();

      await page.getByRole('heading', { name: 'You are signed in' }).waitFor();
      expect(page.url()).toBe(`${url}/login/done`);
      await shot(page, 'ok-5-signed-in');

      // The same browser, by its session cookie alone: who, and (no org selected yet) the membership.
      const json = async (path: string) => {
        await page.goto(`${url}/api/auth${path}`);
        return JSON.parse((await page.textContent('body'))!) as unknown;
      };
      expect(await json('/me')).toMatchObject({
        email: 'alice@acme.test',
        emailVerified: true,
        isGuest: false,
      });
      expect(await json('/orgs')).toEqual([expect.objectContaining({ id: 'acme', role: 'member' })]);
      await context.close();
    }, 60_000);

    it('a sign-in refused at the IdP lands back on /login saying so, and signs nobody in', async () => {
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await toIdP(page, 'alice@acme.test', 'refused');
      // The IdP's own "Cancel": it answers the callback with error=access_denied.
      await page.getByRole('link', { name: /Cancel/ }).click();

      await page.getByRole('alert').waitFor();
      const landed = new URL(page.url());
      expect(`${landed.origin}${landed.pathname}`).toBe(`${url}/login`);
      expect(landed.searchParams.get('sso_error')).toBe('SSO_SIGN_IN_FAILED');
      expect(await page.getByRole('alert').textContent()).toBe(
        'Your identity provider did not complete the sign-in. Try again, or use an emailed code.',
      );
      expect(await page.textContent('main')).toContain(
        'Details: The identity provider did not grant the sign-in',
      );
      // The form is there to try again.
      await page.getByLabel('Email').first().waitFor();
      await shot(page, 'refused-4-back-on-login');

      const cookies = await context.cookies(url);
      expect(cookies.find((cookie) => cookie.name === 'pylon_session')).toBeUndefined();
      await page.goto(`${url}/api/auth/me`);
      expect(JSON.parse((await page.textContent('body'))!)).toMatchObject({ userId: null });
      await context.close();
    }, 60_000);
  },
);
