import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestServer } from '../../../packages/server/test/support/server.js';
import { type BrowserTarget, describeInChromium, SHOTS, startBrowserTarget } from './support.js';

// The invitee of the issue, in a real browser with JavaScript off: they signed up with a password
// (unverified), open the emailed link, sign in on the hosted page, come back and accept; they are
// a member and their address is verified.
describeInChromium('accepting an invite in Chromium', () => {
  let target: BrowserTarget;
  let t: TestServer;
  let browser: Browser;
  let url: string;

  const api = async (path: string, body: unknown, token?: string) => {
    const response = await fetch(`${url}/api/auth${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return (await response.json()) as Record<string, string>;
  };

  beforeAll(async () => {
    target = await startBrowserTarget();
    ({ t, url, browser } = target);
  }, 60_000);
  afterAll(() => target?.close());

  it('signs in from the emailed link with a password and accepts; the address is verified', async () => {
    const sent = await api('/magic/send', { email: 'owner@example.com' });
    const owner = await api('/magic/verify', { email: 'owner@example.com', code: sent.dev_code });
    const org = await api('/orgs', { name: 'Acme Widgets' }, owner.token);
    await api('/password/register', { email: 'invitee@example.com', password: 'correct horse battery' });
    await api(`/orgs/${org.id}/invites`, { email: 'invitee@example.com', role: 'member' }, owner.token);
    const link = new RegExp(`(${url}/invite/\\S+)`).exec(t.mail.at(-1)!.text)![1]!;

    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(link);
    await page.getByRole('heading', { name: 'Join Acme Widgets' }).waitFor();
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/invite-signed-out.png`, fullPage: true });
    await page.getByRole('button', { name: 'Sign in to accept' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByText('Use a password instead').click();
    await page.getByLabel('Email').nth(1).fill('invitee@example.com');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('button', { name: 'Accept invite' }).waitFor();
    expect(page.url()).toBe(link);
    expect(await page.textContent('main')).toContain('Accepting also confirms this email address.');
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/invite-accept.png`, fullPage: true });
    await page.getByRole('button', { name: 'Accept invite' }).click();
    await page.getByRole('heading', { name: 'You joined Acme Widgets' }).waitFor();
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/invite-joined.png`, fullPage: true });

    const session = (await context.cookies(url)).find((cookie) => cookie.name === 'pylon_session')!.value;
    const me = await fetch(`${url}/api/auth/me`, { headers: { authorization: `Bearer ${session}` } });
    expect(await me.json()).toMatchObject({ email: 'invitee@example.com', emailVerified: true });
    const orgs = await fetch(`${url}/api/auth/orgs`, { headers: { authorization: `Bearer ${session}` } });
    expect(await orgs.json()).toEqual([expect.objectContaining({ id: org.id, role: 'member' })]);
    await context.close();
  }, 60_000);
});
