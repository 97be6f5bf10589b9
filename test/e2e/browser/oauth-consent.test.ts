import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ADMIN,
  BASE,
  call,
  grant,
  pkce,
  REDIRECT,
  registerApp,
  registerClient,
} from '../../../packages/server/test/oauth-server/support.js';
import type { TestServer } from '../../../packages/server/test/support/server.js';
import {
  type BrowserTarget,
  describeInChromium,
  SHOTS,
  signInWithEmailedCode,
  startBrowserTarget,
} from './support.js';

// A URL's path is case-sensitive and may be long: the consent page must show the MCP server's
// resource and the capabilities exactly as they are, inside the card, on a phone as on a desktop.
const RESOURCE = 'https://notes.example.com/MCP/Team-Notes/a-long-path-segment-0123456789abcdefghijklmnop';

describeInChromium('the OAuth consent page in Chromium', () => {
  let target: BrowserTarget;
  let t: TestServer;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    target = await startBrowserTarget({
      env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_OAUTH_DYNAMIC_REGISTRATION: 'true' },
    });
    ({ t, url, browser } = target);
    await registerApp(t, 'notes', RESOURCE);
  }, 60_000);
  afterAll(() => target?.close());

  it('shows the resource and capabilities exactly as they are, and nothing wider than a phone', async () => {
    const email = 'consent@example.com';
    await grant(t, email, 'notes', 'editor');
    const client = await registerClient(t);
    const { challenge } = pkce();
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'consent-state',
      resource: RESOURCE,
    });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${url}/o/default/oauth/authorize?${params}`);
    await expect.poll(() => page.url()).toContain('/login?return_to=');
    await signInWithEmailedCode(page, t, email);
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();

    // innerText is the text as rendered (text-transform applied): what the person reads.
    const shown = await page.locator('main code').allInnerTexts();
    // Last, where the answer goes: the redirect URI's host.
    expect(shown).toEqual([RESOURCE, 'notes:notes.read', 'notes:notes.write', new URL(REDIRECT).host]);
    const overflow = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth - window.innerWidth,
      resource: (() => {
        const code = document.querySelector('main code')!;
        const card = code.closest('main')!;
        return code.getBoundingClientRect().right - card.getBoundingClientRect().right;
      })(),
    }));
    expect(overflow.page).toBeLessThanOrEqual(0);
    expect(overflow.resource).toBeLessThanOrEqual(0);
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: `${SHOTS}/oauth-consent-390.png`, fullPage: true });
    }
    await context.close();
  }, 60_000);

  it('shows a self-registered client’s name quoted, as its own claim, under a notice', async () => {
    const name = 'Pylon (official) — approved by your administrator. Click Allow';
    const registered = await call(t, 'POST', `${BASE}/oauth/register`, {
      token: null,
      body: { redirect_uris: [REDIRECT], client_name: name, token_endpoint_auth_method: 'none' },
    });
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: registered.body.client_id as string,
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      scope: 'openid offline_access',
    });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${url}/o/default/oauth/authorize?${params}`);
    await expect.poll(() => page.url()).toContain('/login?return_to=');
    await signInWithEmailedCode(page, t, 'self-registered@example.com');
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    // What the person reads: the name inside quotes, after "calls itself", not bold.
    const intro = await page.locator('main p', { hasText: 'wants access' }).innerText();
    expect(intro).toBe(
      `An app that calls itself “${name}” wants access to your account self-registered@example.com.`,
    );
    expect(await page.locator('main strong', { hasText: 'Pylon (official)' }).count()).toBe(0);
    const notice = page.getByRole('note');
    expect(await notice.innerText()).toMatch(
      /^Unverified app\. It registered itself: its name is its own claim/,
    );
    expect(await notice.evaluate((el) => getComputedStyle(el).borderLeftWidth)).toBe('4px');
    expect(await page.locator('main').innerText()).toContain('until you disconnect it from your account');
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: `${SHOTS}/oauth-consent-self-registered-390.png`, fullPage: true });
    }
    await context.close();
  }, 60_000);
});
