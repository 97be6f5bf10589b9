import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestServer } from '../../../packages/server/test/support/server.js';
import {
  type BrowserTarget,
  describeInChromium,
  signInWithEmailedCode,
  startBrowserTarget,
} from './support.js';

// A real browser (Debian's Chromium, never a downloaded one) on the hosted pages, with no
// JavaScript involved: sign in with an emailed code, see which client asks, approve. CI installs
// Chromium (.ci/run), so there a missing browser fails instead of skipping.
describeInChromium('device approval in Chromium', () => {
  let target: BrowserTarget;
  let t: TestServer;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    target = await startBrowserTarget();
    ({ t, url, browser } = target);
  }, 60_000);
  afterAll(() => target?.close());

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
    await signInWithEmailedCode(page, t, 'browser@example.com');
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
