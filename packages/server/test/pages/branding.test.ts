import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/config-error.js';
import { DEFAULT_BRAND } from '../../src/config/parse-branding.js';
import { renderMagicCodeEmail } from '../../src/mail/index.js';
import { favicon, PAGE_SCRIPTS } from '../../src/pages/assets.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../support/server.js';

const BASE = { PYLON_SECRET: TEST_SECRET };

function configError(env: Record<string, string>): string {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('PYLON_BRAND_* parsing', () => {
  it('defaults to Pylon with no logo and the built-in accent', () => {
    expect(loadConfig(BASE).brand).toEqual({ name: 'Pylon', logoURL: null, accent: null });
  });

  it('reads a name, an https logo and expands a #rgb accent', () => {
    const { brand } = loadConfig({
      ...BASE,
      PYLON_BRAND_NAME: 'Acme Cloud',
      PYLON_BRAND_LOGO_URL: 'https://cdn.acme.test/logo.svg',
      PYLON_BRAND_ACCENT: '#0A8',
    });
    expect(brand).toEqual({
      name: 'Acme Cloud',
      logoURL: 'https://cdn.acme.test/logo.svg',
      accent: '#00aa88',
    });
  });

  it('refuses a malformed accent, a non-https or credentialled logo, and a name with control characters', () => {
    expect(configError({ PYLON_BRAND_ACCENT: 'red' })).toMatch(/PYLON_BRAND_ACCENT/);
    expect(configError({ PYLON_BRAND_ACCENT: '#12345g' })).toMatch(/PYLON_BRAND_ACCENT/);
    expect(configError({ PYLON_BRAND_LOGO_URL: 'javascript:alert(1)' })).toMatch(/PYLON_BRAND_LOGO_URL/);
    expect(configError({ PYLON_BRAND_LOGO_URL: 'http://cdn.acme.test/logo.svg' })).toMatch(
      /PYLON_BRAND_LOGO_URL/,
    );
    expect(configError({ PYLON_BRAND_LOGO_URL: 'https://u:p@cdn.acme.test/l.svg' })).toMatch(
      /PYLON_BRAND_LOGO_URL/,
    );
    expect(configError({ PYLON_BRAND_LOGO_URL: 'not a url' })).toMatch(/PYLON_BRAND_LOGO_URL/);
    expect(configError({ PYLON_BRAND_NAME: 'Acme\nBcc: x' })).toMatch(/PYLON_BRAND_NAME/);
    expect(configError({ PYLON_BRAND_NAME: 'x'.repeat(65) })).toMatch(/PYLON_BRAND_NAME/);
  });

  it('allows an http logo on a loopback host in development only', () => {
    const env = { PYLON_BRAND_LOGO_URL: 'http://127.0.0.1:9/logo.png' };
    expect(loadConfig({ ...BASE, ...env }).brand.logoURL).toBe('http://127.0.0.1:9/logo.png');
    expect(
      configError({ ...env, PYLON_ENV: 'production', PYLON_PUBLIC_URL: 'https://id.acme.test' }),
    ).toMatch(/PYLON_BRAND_LOGO_URL/);
  });
});

describe('branded emails', () => {
  const brand = { name: 'Acme <Cloud>', logoURL: 'https://cdn.acme.test/logo.svg', accent: '#ffcc00' };

  it('head the HTML part with the escaped name and logo, and colour the button with the accent', () => {
    const email = renderMagicCodeEmail({ code: '123456', appName: brand.name, brand });
    expect(email.subject).toBe('Your Acme <Cloud> sign-in code');
    expect(email.html).toContain('Acme &lt;Cloud&gt;');
    expect(email.html).not.toContain('Acme <Cloud>');
    expect(email.html).toContain('<img src="https://cdn.acme.test/logo.svg"');
    expect(email.text).toContain('123456');
  });

  it('look as before without a brand', () => {
    const email = renderMagicCodeEmail({ code: '123456', appName: 'Pylon' });
    expect(email.html).not.toContain('<img');
    expect(email.subject).toBe('Your Pylon sign-in code');
  });
});

describe.each(testDatabases)('branded hosted pages on $kind', (database) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(database, {
      env: {
        PYLON_BRAND_NAME: 'Acme Cloud',
        PYLON_BRAND_LOGO_URL: 'https://cdn.acme.test/logo.svg',
        PYLON_BRAND_ACCENT: '#ffcc00',
      },
    });
  });
  afterAll(() => t.close());

  it('shows the name and logo, and the CSP allows exactly the logo’s origin for images', async () => {
    const res = await t.request('/login');
    const body = await res.text();
    expect(body).toContain('<title>Sign in · Acme Cloud</title>');
    expect(body).toContain('<img class="logo" src="https://cdn.acme.test/logo.svg"');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("img-src 'self' https://cdn.acme.test;");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('serves the stylesheet with the accent and a readable text colour on it', async () => {
    const css = await (await t.request('/assets/pylon.css')).text();
    expect(css).toContain('--accent:#ffcc00;--accent-text:#000000');
  });

  it('serves /favicon.ico as an SVG letter on the accent, cacheable for a day', async () => {
    const res = await t.request('/favicon.ico');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
    const svg = await res.text();
    expect(svg).toContain('fill="#ffcc00"');
    expect(svg).toContain('fill="#000000">A</text>');
  });

  it('sends the sign-in code under the brand’s name', async () => {
    await t.request('/api/auth/magic/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'brand@example.com' }),
    });
    expect(t.mail.at(-1)!.subject).toBe('Your Acme Cloud sign-in code');
    expect(t.mail.at(-1)!.html).toContain('Acme Cloud');
  });

  it('serves the page scripts under their hashed names only, cacheable for good', async () => {
    const res = await t.request(PAGE_SCRIPTS.passkeys.path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(await res.text()).toBe(PAGE_SCRIPTS.passkeys.source);
    expect(PAGE_SCRIPTS.passkeys.path).toMatch(/^\/assets\/scripts\/passkeys-[0-9a-f]{12}\.js$/);
    expect((await t.request('/assets/scripts/passkeys-000000000000.js')).status).toBe(404);
  });
});

describe('favicon', () => {
  it('is the built-in blue with a P by default, and never carries markup from the brand name', () => {
    expect(favicon(DEFAULT_BRAND)).toContain('fill="#2f5bea"');
    expect(favicon(DEFAULT_BRAND)).toContain('>P</text>');
    const odd = favicon({ ...DEFAULT_BRAND, name: '<script>' });
    expect(odd).toContain('>P</text>');
    expect(odd).not.toContain('<script');
    expect(favicon({ ...DEFAULT_BRAND, name: ' zeta' })).toContain('>Z</text>');
  });
});
