import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { PAGE_SCRIPTS } from '../../src/pages/assets.js';
import { PAGE_CSP, SCRIPT_PAGE_CSP } from '../../src/pages/html.js';
import { testDatabases } from '../support/databases.js';
import { startTestCaptchaProvider, type TestCaptchaProvider } from '../support/peers/captcha-provider.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../support/server.js';

const json = (body: unknown) => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
});
type Body = Record<string, unknown> & { error?: { code: string; message: string } };
const SITE_KEY = '1x00000000000000000000AA';
const PASSWORD = 'an unlisted passphrase 42';

describe('captcha configuration', () => {
  const base = { PYLON_SECRET: TEST_SECRET };
  it('is off by default; a provider takes its documented verify endpoint unless overridden', () => {
    expect(loadConfig(base).captcha).toBeNull();
    const on = { ...base, PYLON_CAPTCHA_SECRET: 's', PYLON_CAPTCHA_SITE_KEY: 'k' };
    expect(loadConfig({ ...on, PYLON_CAPTCHA_PROVIDER: 'turnstile' }).captcha?.verifyURL).toBe(
      'https://challenges.cloudflare.com/turnstile/v0/siteverify',
    );
    expect(loadConfig({ ...on, PYLON_CAPTCHA_PROVIDER: 'hcaptcha' }).captcha?.verifyURL).toBe(
      'https://api.hcaptcha.com/siteverify',
    );
    expect(loadConfig({ ...on, PYLON_CAPTCHA_PROVIDER: 'recaptcha' }).captcha?.verifyURL).toBe(
      'https://www.google.com/recaptcha/api/siteverify',
    );
  });

  it('refuses half a configuration, an unknown provider and a plain-http verify URL', () => {
    expect(() => loadConfig({ ...base, PYLON_CAPTCHA_PROVIDER: 'turnstile' })).toThrow(
      /PYLON_CAPTCHA_SECRET/,
    );
    expect(() =>
      loadConfig({ ...base, PYLON_CAPTCHA_PROVIDER: 'turnstile', PYLON_CAPTCHA_SECRET: 's' }),
    ).toThrow(/PYLON_CAPTCHA_SITE_KEY/);
    expect(() => loadConfig({ ...base, PYLON_CAPTCHA_SECRET: 's' })).toThrow(/PYLON_CAPTCHA_PROVIDER is not/);
    expect(() =>
      loadConfig({
        ...base,
        PYLON_CAPTCHA_PROVIDER: 'friendly',
        PYLON_CAPTCHA_SECRET: 's',
        PYLON_CAPTCHA_SITE_KEY: 'k',
      }),
    ).toThrow(/PYLON_CAPTCHA_PROVIDER/);
    expect(() =>
      loadConfig({
        ...base,
        PYLON_CAPTCHA_PROVIDER: 'hcaptcha',
        PYLON_CAPTCHA_SECRET: 's',
        PYLON_CAPTCHA_SITE_KEY: 'k',
        PYLON_CAPTCHA_VERIFY_URL: 'http://captcha.example.com/siteverify',
      }),
    ).toThrow(/PYLON_CAPTCHA_VERIFY_URL/);
  });
});

describe.each(testDatabases)('captcha on $kind', (database) => {
  let t: TestServer;
  let provider: TestCaptchaProvider;
  let n = 0;
  const fresh = () => `captcha${++n}-${database.kind}@example.com`;
  const call = async (path: string, init?: RequestInit) => {
    const response = await t.request(`/api/auth${path}`, init);
    return { status: response.status, body: (await response.json()) as Body };
  };
  /** Each protected endpoint with a valid body, and what it sends when it succeeds. */
  const endpoints = [
    { path: '/magic/send', body: (email: string) => ({ email }) },
    { path: '/password/register', body: (email: string) => ({ email, password: PASSWORD }) },
    { path: '/password/reset/request', body: (email: string) => ({ email }) },
  ];
  const page = (path: string, form: Record<string, string>) =>
    t.request(path, {
      method: 'POST',
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: t.config.publicURL },
    });

  beforeAll(async () => {
    provider = await startTestCaptchaProvider();
    t = await startTestServer(database, {
      env: {
        PYLON_CAPTCHA_PROVIDER: 'turnstile',
        PYLON_CAPTCHA_SECRET: provider.secret,
        PYLON_CAPTCHA_SITE_KEY: SITE_KEY,
        PYLON_CAPTCHA_VERIFY_URL: provider.verifyURL,
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await provider.close();
  });
  beforeEach(() => {
    provider.verifications.length = 0;
    provider.failWith(null);
  });

  for (const endpoint of endpoints) {
    it(`${endpoint.path}: CAPTCHA_REQUIRED without a token, without asking the provider`, async () => {
      const sent = t.mail.length;
      for (const captchaToken of [undefined, '', '   ']) {
        const refused = await call(endpoint.path, json({ ...endpoint.body(fresh()), captchaToken }));
        expect(refused.status).toBe(400);
        expect(refused.body.error?.code).toBe('CAPTCHA_REQUIRED');
      }
      expect(provider.verifications).toHaveLength(0);
      await t.server.idle();
      expect(t.mail).toHaveLength(sent);
    });

    it(`${endpoint.path}: CAPTCHA_FAILED when the provider says no`, async () => {
      const sent = t.mail.length;
      const refused = await call(endpoint.path, json({ ...endpoint.body(fresh()), captchaToken: 'forged' }));
      expect(refused.status).toBe(400);
      expect(refused.body.error?.code).toBe('CAPTCHA_FAILED');
      expect(provider.verifications).toEqual([{ secret: provider.secret, response: 'forged' }]);
      await t.server.idle();
      expect(t.mail).toHaveLength(sent);
    });

    it(`${endpoint.path}: refused (fail closed) when the provider is down`, async () => {
      provider.failWith(503);
      const refused = await call(
        endpoint.path,
        json({ ...endpoint.body(fresh()), captchaToken: provider.goodToken }),
      );
      expect(refused.status).toBe(400);
      expect(refused.body.error?.code).toBe('CAPTCHA_FAILED');
    });

    it(`${endpoint.path}: accepted with a token the provider verifies`, async () => {
      const email = fresh();
      const done = await call(
        endpoint.path,
        json({ ...endpoint.body(email), captchaToken: provider.goodToken }),
      );
      expect(done.status).toBe(200);
      expect(provider.verifications).toEqual([{ secret: provider.secret, response: provider.goodToken }]);
      if (endpoint.path !== '/password/register') {
        await t.server.idle();
        // A reset for an address with no account sends nothing; magic send always does.
        if (endpoint.path === '/magic/send') expect(t.mail.at(-1)?.to).toBe(email);
      }
    });
  }

  it('refuses when nothing answers at the verify URL at all', async () => {
    const gone = await startTestCaptchaProvider();
    await gone.close();
    const down = await startTestServer(database, {
      env: {
        PYLON_CAPTCHA_PROVIDER: 'hcaptcha',
        PYLON_CAPTCHA_SECRET: gone.secret,
        PYLON_CAPTCHA_SITE_KEY: SITE_KEY,
        PYLON_CAPTCHA_VERIFY_URL: gone.verifyURL,
      },
    });
    try {
      const response = await down.request(
        '/api/auth/magic/send',
        json({ email: fresh(), captchaToken: gone.goodToken }),
      );
      expect(response.status).toBe(400);
      expect(((await response.json()) as Body).error?.code).toBe('CAPTCHA_FAILED');
      expect(down.mail).toHaveLength(0);
    } finally {
      await down.close();
    }
  });

  it('sign-in with a password and magic verify need no captcha', async () => {
    const email = fresh();
    await call('/password/register', json({ email, password: PASSWORD, captchaToken: provider.goodToken }));
    expect((await call('/password/login', json({ email, password: PASSWORD }))).status).toBe(200);
  });

  it('the hosted page carries the widget, and its CSP allows the provider only there', async () => {
    const response = await t.request('/login');
    const text = await response.text();
    expect(text).toContain(
      '<script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer>',
    );
    expect(text).toContain(`<div class="cf-turnstile" data-sitekey="${SITE_KEY}">`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain('script-src https://challenges.cloudflare.com');
    expect(csp).toContain('frame-src https://challenges.cloudflare.com');
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self'");
    // A page without the widget keeps the script-free policy.
    const done = await t.request('/login/done');
    expect(done.headers.get('content-security-policy')).toBe(PAGE_CSP);
  });

  it('the hosted page sends a code only with a solved widget', async () => {
    const email = fresh();
    const refused = await page('/login/code', { email });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('Complete the captcha.');
    const forged = await page('/login/code', { email, 'cf-turnstile-response': 'forged' });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('The captcha was not accepted.');
    await t.server.idle();
    expect(t.mail.some((mail) => mail.to === email)).toBe(false);
    const sent = await page('/login/code', { email, 'cf-turnstile-response': provider.goodToken });
    expect(sent.status).toBe(200);
    expect(await sent.text()).toContain('Check your email');
    expect(t.mail.at(-1)?.to).toBe(email);
  });

  it('without captcha: no widget, no script in the CSP, no token needed', async () => {
    const off = await startTestServer(database);
    try {
      const response = await off.request('/login');
      const text = await response.text();
      // The only script is our own static passkey file: no third party's.
      expect(text.match(/<script[^>]*>/g)).toEqual([`<script src="${PAGE_SCRIPTS.passkeys.path}" defer>`]);
      expect(response.headers.get('content-security-policy')).toBe(SCRIPT_PAGE_CSP);
      expect(PAGE_CSP).not.toContain('script-src');
      expect((await off.request('/api/auth/magic/send', json({ email: fresh() }))).status).toBe(200);
    } finally {
      await off.close();
    }
  });

  it('hCaptcha and reCAPTCHA pages carry their own widget and sources', async () => {
    for (const [name, script, className, source] of [
      ['hcaptcha', 'https://js.hcaptcha.com/1/api.js', 'h-captcha', 'https://*.hcaptcha.com'],
      [
        'recaptcha',
        'https://www.google.com/recaptcha/api.js',
        'g-recaptcha',
        'https://www.gstatic.com/recaptcha/',
      ],
    ] as const) {
      const other = await startTestServer(database, {
        env: {
          PYLON_CAPTCHA_PROVIDER: name,
          PYLON_CAPTCHA_SECRET: provider.secret,
          PYLON_CAPTCHA_SITE_KEY: SITE_KEY,
          PYLON_CAPTCHA_VERIFY_URL: provider.verifyURL,
        },
      });
      try {
        const response = await other.request('/login');
        const text = await response.text();
        expect(text).toContain(`<script src="${script}" async defer>`);
        expect(text).toContain(`<div class="${className}" data-sitekey="${SITE_KEY}">`);
        expect(response.headers.get('content-security-policy')).toContain(source);
      } finally {
        await other.close();
      }
    }
  });
});
