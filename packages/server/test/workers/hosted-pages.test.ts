import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningWorker, startWorker } from './support/worker.js';

/**
 * The hosted pages on Workers, where passwords are not offered (`config.passwords` false): they
 * show no password form and link nowhere that answers 404, and the account and console pages
 * render for a signed-in deployment admin.
 */
describe('hosted pages on Cloudflare Workers (miniflare)', () => {
  let worker: RunningWorker;
  let cookie = '';

  const page = async (path: string, withCookie = true) => {
    const response = await worker.request(path, {
      redirect: 'manual',
      headers: withCookie && cookie ? { cookie } : {},
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };

  /** Every same-origin link of the page at `path` (`href`, less in-page anchors), as a path with its query. */
  const links = (path: string, text: string): string[] => {
    const found = new Set<string>();
    for (const match of text.matchAll(/href="([^"]+)"/g)) {
      const href = match[1]!.replaceAll('&amp;', '&');
      if (href.startsWith('#')) continue;
      const url = new URL(href, new URL(path, worker.url));
      if (url.origin === worker.url) found.add(url.pathname + url.search);
    }
    return [...found];
  };

  const noLinkIs404 = async (path: string, withCookie: boolean) => {
    const shown = await page(path, withCookie);
    expect(shown.status).toBe(200);
    const followed = await Promise.all(
      links(path, shown.text).map(async (link) => [link, (await page(link, withCookie)).status] as const),
    );
    expect(followed.length).toBeGreaterThan(0);
    expect(followed.filter(([, status]) => status === 404 || status >= 500)).toEqual([]);
    return shown;
  };

  beforeAll(async () => {
    worker = await startWorker();
    // A person signs in with an emailed code and, first in development, claims the deployment.
    const email = 'admin@example.com';
    const post = (path: string, body: unknown, token?: string) =>
      worker.request(path, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    const sent = (await (await post('/api/auth/magic/send', { email })).json()) as { dev_code: string };
    const verified = await post('/api/auth/magic/verify', { email, code: sent.dev_code });
    const { token } = (await verified.json()) as { token: string };
    cookie = (verified.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/=/);
    expect((await post('/bootstrap', {}, token)).status).toBe(200);
  }, 120_000);
  afterAll(() => worker?.close());

  it('/login offers the emailed code and no password: no password form, no reset or sign-up page', async () => {
    for (const path of ['/login', '/o/default/login']) {
      const login = await noLinkIs404(path, false);
      expect(login.text).not.toContain('type="password"');
      expect(login.text).not.toMatch(/\/login\/password|\/signup|\/reset|Use a password/);
      expect(login.text).toContain('the code we send creates your account');
      expect(login.text).toContain('Email me a code');
    }
  });

  it('/account/security and /account, signed in: no password section, and no link answers 404', async () => {
    const security = await noLinkIs404('/account/security', true);
    expect(security.text).toContain('<h1>Security</h1>');
    expect(security.text).not.toMatch(/<h2>Password<\/h2>|type="password"|\/account\/password|\/reset/);
    const account = await noLinkIs404('/account', true);
    expect(account.text).toContain('<h1>Your account</h1>');
    expect(account.text).not.toMatch(/\/reset|\/signup/);
  });

  it('the account page and the console render for a signed-in deployment admin, with their CSP', async () => {
    for (const path of ['/account', '/console']) {
      const shown = await page(path);
      expect([path, shown.status]).toEqual([path, 200]);
      expect(shown.headers.get('content-security-policy')).toMatch(/default-src/);
      expect(shown.headers.get('content-type')).toMatch(/^text\/html/);
    }
    const console = await noLinkIs404('/console', true);
    expect(console.text).toContain('default');
  });
});
