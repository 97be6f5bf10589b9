import { createServer as createHTTPServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Listening } from '../../../packages/server/src/platform/listen.js';
import { testDatabases } from '../../../packages/server/test/support/databases.js';
import { listenAhead } from '../../../packages/server/test/support/listen-ahead.js';
import { startTestServer, type TestServer } from '../../../packages/server/test/support/server.js';
import { CHROMIUM, describeInChromium } from './support.js';

const AUD = 'e2e0aud0tag0000000000000000000000000000000000000000000000000000';

// Chromium on the hosted pages as Cloudflare Access puts them before a person: every request
// carries the Access token (the header Access adds at its edge, or its CF_Authorization cookie),
// and the person never sees a sign-in form. The team's certs are served on 127.0.0.1.
describeInChromium('Cloudflare Access in Chromium', () => {
  let t: TestServer;
  let url: string;
  let team: string;
  let browser: Browser;
  let certs: Server;
  let listening: Listening;
  let signing: CryptoKey;

  const assertion = (email: string, sub: string) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ email, type: 'app' })
      .setProtectedHeader({ alg: 'RS256', kid: 'e2e' })
      .setIssuer(team)
      .setAudience([AUD])
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(signing);
  };

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    signing = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'e2e', alg: 'RS256', use: 'sig' };
    certs = createHTTPServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => certs.listen(0, '127.0.0.1', resolve));
    team = `http://127.0.0.1:${(certs.address() as { port: number }).port}`;
    const held = await listenAhead();
    listening = held;
    url = `http://127.0.0.1:${listening.port}`;
    t = await startTestServer(testDatabases[0]!, {
      env: { PYLON_PUBLIC_URL: url, PYLON_CF_ACCESS_TEAM_DOMAIN: team, PYLON_CF_ACCESS_AUD: AUD },
    });
    // The browser's cookies live in real time, so the sessions the server mints must too.
    t.clock.set(Date.now());
    held.serve(t.server.fetch, t.server.direct);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await listening?.close(1000);
    await t?.close();
    await new Promise<void>((resolve) => (certs ? certs.close(() => resolve()) : resolve()));
  });

  it('the Access header signs the person in on /device: straight to the approval, then approved', async () => {
    const started = (await (
      await fetch(`${url}/device/init`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client: 'pylon-cli/access', org_id: 'default' }),
      })
    ).json()) as { device_code: string; user_code: string; verification_url_complete: string };
    const context = await browser.newContext({ javaScriptEnabled: false });
    await context.setExtraHTTPHeaders({
      'cf-access-jwt-assertion': await assertion('access-e2e@example.com', 'sub-e2e-1'),
    });
    const page = await context.newPage();
    await page.goto(started.verification_url_complete);
    await page.getByRole('heading', { name: 'Approve this sign-in?' }).waitFor();
    expect(page.url()).not.toContain('/login');
    expect(await page.textContent('main')).toContain('access-e2e@example.com');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: 'Device approved' }).waitFor();
    t.clock.advance(10_000);
    const after = (await (await fetch(`${url}/device/poll?device_code=${started.device_code}`)).json()) as {
      status: string;
    };
    expect(after.status).toBe('authorised');
    await context.close();
  }, 60_000);

  it('the CF_Authorization cookie alone signs in on /login and goes on to return_to', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    await context.addCookies([
      {
        name: 'CF_Authorization',
        value: await assertion('cookie-e2e@example.com', 'sub-e2e-2'),
        url,
      },
    ]);
    const page = await context.newPage();
    await page.goto(`${url}/login?return_to=%2Faccount`);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account');
    expect(await page.textContent('main')).toContain('cookie-e2e@example.com');
    const cookies = await context.cookies(url);
    expect(cookies.find((cookie) => cookie.name === 'pylon_session')?.httpOnly).toBe(true);
    await context.close();
  }, 60_000);

  it('a token for another application shows the sign-in form', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const now = Math.floor(Date.now() / 1000);
    const foreign = await new SignJWT({ email: 'other-app@example.com' })
      .setProtectedHeader({ alg: 'RS256', kid: 'e2e' })
      .setIssuer(team)
      .setAudience(['another-application'])
      .setSubject('sub-e2e-3')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(signing);
    await context.setExtraHTTPHeaders({ 'cf-access-jwt-assertion': foreign });
    const page = await context.newPage();
    await page.goto(`${url}/login?return_to=%2Faccount`);
    await page.getByRole('button', { name: 'Email me a code' }).waitFor();
    expect((await context.cookies(url)).some((cookie) => cookie.name === 'pylon_session')).toBe(false);
    await context.close();
  }, 60_000);
});
