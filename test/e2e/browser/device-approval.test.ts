import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listening, listen } from '../../../packages/server/src/platform/listen.js';
import { testDatabases } from '../../../packages/server/test/support/databases.js';
import { startTestServer, type TestServer } from '../../../packages/server/test/support/server.js';

const CHROMIUM = '/usr/bin/chromium';

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

// A real browser (Debian's Chromium, never a downloaded one) on the hosted pages, with no
// JavaScript involved: sign in with an emailed code, see which client asks, approve. CI installs
// Chromium (.ci/run), so there a missing browser fails instead of skipping.
describe.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')('device approval in Chromium', () => {
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

  it('signs in on /login and approves the device on /device', async () => {
    const started = (await (
      await fetch(`${url}/device/init`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client: 'pylon-cli/e2e', org_id: 'default' }),
      })
    ).json()) as { device_code: string; user_code: string; verification_url_complete: string };

    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(started.verification_url_complete);
    await expect.poll(() => page.url()).toContain('/login?return_to=');
    await page.getByLabel('Email').first().fill('browser@example.com');
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();

    const code = /\n\s+(\d{6})\n/.exec(t.mail.at(-1)!.text)![1]!;
    await page.getByLabel('Code').fill(code);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Approve this sign-in?' }).waitFor();
    expect(await page.textContent('main')).toContain('pylon-cli/e2e');
    expect(await page.textContent('main')).toContain(started.user_code);

    // Seeing the page approved nothing.
    const before = await fetch(`${url}/device/poll?device_code=${started.device_code}`);
    expect(await before.json()).toEqual({ status: 'pending' });

    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: 'Device approved' }).waitFor();
    t.clock.advance(10_000);
    const after = (await (await fetch(`${url}/device/poll?device_code=${started.device_code}`)).json()) as {
      status: string;
    };
    expect(after.status).toBe('authorised');
    await context.close();
  }, 60_000);
});
