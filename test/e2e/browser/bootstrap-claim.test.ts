import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BootstrapClaimStore } from '../../../packages/server/src/features/rbac/bootstrap-store.js';
import { type Listening, listen } from '../../../packages/server/src/platform/listen.js';
import { testDatabases } from '../../../packages/server/test/support/databases.js';
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

// The development first-admin path in a real browser with JavaScript off: /bootstrap sends a
// signed-out visitor to sign in, brings them back, and the Claim admin form (with its CSRF token)
// makes them the admin.
describe.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')(
  'claiming the first admin in Chromium',
  () => {
    let t: TestServer;
    let listening: Listening;
    let browser: Browser;
    let url: string;

    beforeAll(async () => {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      t = await startTestServer(testDatabases[0]!, { env: { PYLON_PUBLIC_URL: url } });
      t.clock.set(Date.now());
      listening = await listen(t.server.fetch, port, '127.0.0.1');
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await listening?.close(1000);
      await t?.close();
    });

    it('signs in from /bootstrap, claims admin once, and /me agrees', async () => {
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(`${url}/bootstrap`);
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/bootstrap-signed-out.png`, fullPage: true });
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.url()).toContain('/login?return_to=%2Fbootstrap');
      await page.getByLabel('Email').first().fill('operator@example.com');
      await page.getByRole('button', { name: 'Email me a code' }).click();
      await page.getByRole('heading', { name: 'Check your email' }).waitFor();
      const code = /\n\s+(\d{6})\n/.exec(t.mail.at(-1)!.text)![1]!;
      await page.getByLabel('Code').fill(code);
      await page.getByRole('button', { name: 'Sign in' }).click();

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
  },
);
