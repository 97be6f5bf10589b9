import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BootstrapClaimStore } from '../../../packages/server/src/features/rbac/bootstrap-store.js';
import type { TestServer } from '../../../packages/server/test/support/server.js';
import {
  type BrowserTarget,
  describeInChromium,
  SHOTS,
  signInWithEmailedCode,
  startBrowserTarget,
} from './support.js';

// The development first-admin path in a real browser with JavaScript off: /bootstrap sends a
// signed-out visitor to sign in, brings them back, and the Claim admin form (with its CSRF token)
// makes them the admin.
describeInChromium('claiming the first admin in Chromium', () => {
  let target: BrowserTarget;
  let t: TestServer;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    target = await startBrowserTarget();
    ({ t, url, browser } = target);
  }, 60_000);
  afterAll(() => target?.close());

  it('signs in from /bootstrap, claims admin once, and /me agrees', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${url}/bootstrap`);
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/bootstrap-signed-out.png`, fullPage: true });
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.url()).toContain('/login?return_to=%2Fbootstrap');
    await signInWithEmailedCode(page, t, 'operator@example.com');

    await page.getByRole('heading', { name: 'Become the first admin' }).waitFor();
    expect(await page.textContent('main')).toContain('operator@example.com');
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/bootstrap-claimable.png`, fullPage: true });
    // Showing the page claims nothing; no HTTP view answers that before a claim, so ask the store.
    expect(await new BootstrapClaimStore(t.storage.db).isClaimed('default')).toBe(false);

    await page.getByRole('button', { name: 'Claim admin' }).click();
    await page.getByRole('heading', { name: 'You are an admin' }).waitFor();
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/bootstrap-claimed.png`, fullPage: true });

    const cookies = await context.cookies(url);
    const session = cookies.find((cookie) => cookie.name === 'pylon_session')!.value;
    const me = (await (
      await fetch(`${url}/api/auth/me`, { headers: { authorization: `Bearer ${session}` } })
    ).json()) as {
      isAdmin: boolean;
      roles: string[];
    };
    expect(me).toMatchObject({ isAdmin: true, roles: ['owner'] });
    await context.close();
  }, 60_000);
});
