import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestIdP, type TestIdP } from '../../../packages/server/test/support/peers/oidc-idp.js';
import { type BrowserTarget, describeInChromium, SHOTS, startBrowserTarget } from './support.js';

// Per-org OIDC SSO from the hosted login page, in a real browser with JavaScript off on our pages:
// the address's domain is claimed by acme, so the page offers acme's IdP (a real oidc-provider on
// loopback); the person signs in there, consents, and comes back signed in and a member of acme.
// A refused sign-in at the IdP lands back on /login with the reason.
describeInChromium('SSO from the hosted login page in Chromium', () => {
  let target: BrowserTarget;
  let idp: TestIdP;
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
    // The IdP signs with real time; the target's clock is real time too, for the state and the id_token.
    target = await startBrowserTarget();
    ({ url, browser } = target);
    idp = await startTestIdP(`${url}/api/auth/orgs/acme/sso/callback`);

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
    await target?.close();
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
});
