import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type BrowserTarget,
  describeInChromium,
  signInWithEmailedCode,
  startBrowserTarget,
} from './support.js';

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

/**
 * The hosted pages' own passkey buttons, under their real CSP (no bypass): add a passkey on
 * /account/security with Chromium's virtual authenticator, sign out, and sign in with it on /login.
 */
/** A platform authenticator with a resident key and user verification, through CDP. */
async function addVirtualAuthenticator(context: BrowserContext, page: Page): Promise<void> {
  const cdp: CDPSession = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
}

describeInChromium('passkeys on the hosted pages in Chromium', () => {
  let target: BrowserTarget;

  beforeAll(async () => {
    target = await startBrowserTarget({
      host: 'localhost',
      // The server listens on IPv4 loopback only; `localhost` must not try ::1 first.
      args: ['--host-resolver-rules=MAP localhost 127.0.0.1'],
    });
  }, 60_000);
  afterAll(() => target?.close());

  it('adds a passkey from the account page and signs in with it from /login', async () => {
    const { url, t, browser } = target;
    const context = await browser.newContext();
    await context.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        window.__cspViolations!.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    const page = await context.newPage();
    await page.goto(`${url}/login?return_to=${encodeURIComponent('/account/security')}`);
    await addVirtualAuthenticator(context, page);
    await signInWithEmailedCode(page, t, 'passkey-owner@example.com');
    await page.getByRole('heading', { name: 'Security' }).waitFor();
    await page.getByLabel('Name for the new passkey').fill('Test laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('button', { name: 'Remove the passkey Test laptop' }).waitFor();
    expect(await page.evaluate(() => window.__cspViolations)).toEqual([]);

    await page.goto(`${url}/account`);
    await page.getByRole('button', { name: 'Sign out of this browser' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.goto(`${url}/login?return_to=${encodeURIComponent('/account')}`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(`${url}/account`);
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    expect(await page.textContent('main')).toContain('passkey-owner@example.com');
    expect(await page.evaluate(() => window.__cspViolations)).toEqual([]);
    await context.close();
  }, 90_000);

  it('an old sign-in is asked to sign in again, comes back to the page, and then adds the passkey', async () => {
    const { url, t, browser } = target;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/login?return_to=${encodeURIComponent('/account/security')}`);
    await addVirtualAuthenticator(context, page);
    await signInWithEmailedCode(page, t, 'returning-owner@example.com');
    await page.getByRole('heading', { name: 'Security' }).waitFor();
    // Six minutes later, on the same page: the sign-in is too old to add a way in.
    t.clock.advance(6 * 60_000);
    await page.getByLabel('Name for the new passkey').fill('Late laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    const reauth = page.locator('[data-passkey-reauth]');
    await reauth.waitFor({ state: 'visible' });
    expect(await reauth.textContent()).toContain('needs a sign-in from the last 5 minutes');
    expect(await page.getByRole('button', { name: 'Remove the passkey Late laptop' }).count()).toBe(0);

    // A form of the same page says the same, with the same way on.
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    await page.getByRole('heading', { name: 'Security' }).waitFor();
    expect(await page.getByRole('alert').first().textContent()).toContain('Sign in again');

    await page.getByRole('link', { name: 'Sign in again' }).first().click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signInWithEmailedCode(page, t, 'returning-owner@example.com');
    await page.waitForURL(`${url}/account/security`);
    await page.getByLabel('Name for the new passkey').fill('Late laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('button', { name: 'Remove the passkey Late laptop' }).waitFor();
    await context.close();
  }, 90_000);
});
