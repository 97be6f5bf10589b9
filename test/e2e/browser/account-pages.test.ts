import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestServer } from '../../../packages/server/test/support/server.js';
import { type BrowserTarget, describeInChromium, startBrowserTarget } from './support.js';

/** Screenshots to look at by hand: git-ignored, at the repository's root. */
const SCREENSHOTS = fileURLToPath(new URL('../../../test-results/pages/', import.meta.url));

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 375, height: 812 },
] as const;

/** Every hosted page a signed-in person can open, by its heading. */
const SIGNED_IN_PAGES: ReadonlyArray<[string, string]> = [
  ['/account', 'Your account'],
  ['/account/security', 'Security'],
  ['/account/sessions', 'Sessions'],
  ['/account/api-keys', 'API keys'],
  ['/account/linked', 'Linked accounts'],
  ['/account/activity', 'Activity'],
  ['/account/delete', 'Delete your account'],
  ['/verify-email', 'Email verified'],
  ['/device', 'Connect a device'],
  ['/login/done', 'You are signed in'],
];
const SIGNED_OUT_PAGES: ReadonlyArray<[string, string]> = [
  ['/login', 'Sign in'],
  ['/signup', 'Create an account'],
  ['/reset', 'Reset your password'],
];

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

/**
 * The hosted pages in Debian's Chromium: a keyboard-only sign-in, every page free of CSP
 * violations (each page records `securitypolicyviolation` events from its first script on), no
 * sideways scrolling on a phone, and screenshots at 1280×900 and 375×812 in light and dark.
 */
describeInChromium('the hosted pages in Chromium', () => {
  let target: BrowserTarget;
  let t: TestServer;
  let url: string;

  beforeAll(async () => {
    target = await startBrowserTarget();
    ({ t, url } = target);
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 60_000);
  afterAll(() => target?.close());

  /** A browser context that records every CSP violation its pages report. */
  async function context(options: { colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {}) {
    const ctx = await target.browser.newContext({
      colorScheme: options.colorScheme ?? 'light',
      viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    });
    await ctx.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        window.__cspViolations!.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    return ctx;
  }

  const violations = (page: Page) => page.evaluate(() => window.__cspViolations ?? []);

  /** Sign in with the keyboard alone: type, Tab, Enter; no clicks. */
  async function keyboardSignIn(page: Page, email: string, returnTo = '/account') {
    await page.goto(`${url}/login?return_to=${encodeURIComponent(returnTo)}`);
    // The email field has the focus on arrival.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('email');
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Email me a code');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('code');
    const code = /\n\s+(\d{6})\n/.exec(t.mail.at(-1)!.text)![1]!;
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${url}${returnTo}`);
  }

  it('signs in with the keyboard alone, and every page reports no CSP violation', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await keyboardSignIn(page, 'keys@example.com');
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    expect(await violations(page)).toEqual([]);
    // The navigation is reachable by Tab, in order.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Profile');
    for (const [path, heading] of SIGNED_IN_PAGES) {
      await page.goto(`${url}${path}`);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      expect(await violations(page), path).toEqual([]);
    }
    await ctx.close();
  }, 90_000);

  it('runs its passkey script under the CSP: the buttons appear, nothing is refused', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await page.goto(`${url}/login`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
    await keyboardSignIn(page, 'passkey-page@example.com', '/account/security');
    await page.getByRole('button', { name: 'Add a passkey' }).waitFor();
    expect(await violations(page)).toEqual([]);
    await ctx.close();
  });

  it('creates an API key from the page: shown once, then listed without its secret', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await keyboardSignIn(page, 'api-page@example.com', '/account/api-keys');
    await page.getByLabel('Name').fill('deploy script');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByLabel('New API key').textContent())!.trim();
    expect(key).toMatch(/^pk\./);
    await page.reload(); // a reload asks again (no-store), and the secret is gone
    await page.goto(`${url}/account/api-keys`);
    expect(await page.textContent('main')).not.toContain(key);
    expect(await page.textContent('main')).toContain('deploy script');
    await ctx.close();
  });

  it('says why a sign-in callback or a link was refused, on a page that fits a phone', async () => {
    const ctx = await context({ width: 390, height: 844 });
    const page = await ctx.newPage();
    // Chromium's own Accept on a navigation picks the page over the JSON error.
    const refused = await page.goto(`${url}/api/auth/callback/github?code=x&state=forged`);
    expect(refused?.status()).toBe(404);
    await page.getByRole('heading', { name: 'This sign-in cannot continue' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('This sign-in provider is not set up here.');
    expect(await page.textContent('main')).toContain('Error code: PROVIDER_NOT_FOUND');
    expect(await violations(page)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)).toBe(false);
    await page.getByRole('link', { name: 'Back to sign-in' }).click();
    await page.waitForURL(`${url}/login`);

    await keyboardSignIn(page, 'linked-page@example.com', '/account/linked');
    await page.goto(`${url}/account/linked?error=LINK_SESSION_MISMATCH`);
    expect(await page.getByRole('alert').textContent()).toContain('nothing was linked');
    expect(await violations(page)).toEqual([]);
    await ctx.close();
  });

  it('takes screenshots of every page at 1280×900 and 375×812, light and dark, none wider than the phone', async () => {
    const session = await context();
    const signIn = await session.newPage();
    await keyboardSignIn(signIn, 'shots@example.com');
    const cookies = await session.cookies(url);
    await session.close();
    for (const viewport of VIEWPORTS) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const signedOut = await context({ colorScheme, ...viewport });
        const signedIn: BrowserContext = await context({ colorScheme, ...viewport });
        await signedIn.addCookies(cookies);
        for (const [pages, ctx] of [
          [SIGNED_OUT_PAGES, signedOut],
          [SIGNED_IN_PAGES, signedIn],
        ] as const) {
          const page = await ctx.newPage();
          for (const [path, heading] of pages) {
            await page.goto(`${url}${path}`);
            await page.getByRole('heading', { name: heading, exact: true }).waitFor();
            const name = path.slice(1).replace(/\//g, '-');
            await page.screenshot({
              path: `${SCREENSHOTS}${name}-${viewport.width}x${viewport.height}-${colorScheme}.png`,
              fullPage: true,
            });
            expect(await violations(page), path).toEqual([]);
            const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
            expect(wide, `${path} scrolls sideways at ${viewport.width}px`).toBe(false);
            // Nor does a table within it: on a phone its rows are cards, each cell under its column's name.
            const clipped = await page.evaluate(
              () =>
                Array.from(document.querySelectorAll('.scroll')).filter(
                  (box) => box.scrollWidth > box.clientWidth + 1,
                ).length,
            );
            expect(clipped, `${path} hides table columns at ${viewport.width}px`).toBe(0);
          }
        }
        await signedOut.close();
        await signedIn.close();
      }
    }
  }, 300_000);
});
