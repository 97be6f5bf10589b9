import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { pageBrowser } from '../support/page-browser.js';
import { startTestCaptchaProvider, type TestCaptchaProvider } from '../support/peers/captcha-provider.js';
import { startTestServer, type TestServer } from '../support/server.js';

const PER_MINUTE = 3;

/**
 * The hosted sign-in forms count toward PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE exactly as their
 * JSON routes do (docs/CONFIGURATION.md), before the captcha (docs/SECURITY.md): a browser form
 * is no way around the limit. In-process requests share one address, so every request here counts
 * against the same budget.
 */
describe.each(testDatabases)('the per-IP sign-in limit on the hosted forms, $kind', (database) => {
  let t: TestServer;
  let provider: TestCaptchaProvider;
  let n = 0;
  const address = () => `limited-${++n}-${database.kind}@example.com`;
  const solved = () => ({ 'cf-turnstile-response': provider.goodToken });
  const codeIn = (email: string) =>
    /\b(\d{6})\b/.exec(t.mail.filter((m) => m.to === email).at(-1)!.text)![1]!;
  /** The page's status, Retry-After and alert. */
  const refusal = async (response: Response) => ({
    status: response.status,
    type: response.headers.get('content-type'),
    retryAfter: response.headers.get('retry-after'),
    alert: /role="alert"[^>]*>([^<]*)</.exec(await response.text())?.[1],
  });
  const overLimit = {
    status: 429,
    type: expect.stringContaining('text/html'),
    retryAfter: expect.stringMatching(/^\d+$/),
    alert: expect.stringMatching(/^Too many attempts\. Wait \d+ seconds? and try again\.$/),
  };

  beforeAll(async () => {
    provider = await startTestCaptchaProvider();
    t = await startTestServer(database, {
      env: {
        PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: String(PER_MINUTE),
        PYLON_CAPTCHA_PROVIDER: 'turnstile',
        PYLON_CAPTCHA_SECRET: provider.secret,
        PYLON_CAPTCHA_SITE_KEY: '1x00000000000000000000AA',
        PYLON_CAPTCHA_VERIFY_URL: provider.verifyURL,
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await provider.close();
  });
  // Each test starts with a fresh minute's budget.
  beforeEach(() => {
    t.clock.advance(60_000);
  });

  it('/login/code: past the limit no code is sent and the captcha provider is not asked', async () => {
    const b = pageBrowser(t);
    for (let i = 0; i < PER_MINUTE; i++)
      expect((await b.post('/login/code', { email: address(), ...solved() })).status).toBe(200);
    const mailed = t.mail.length;
    const asked = provider.verifications.length;
    const refused = await b.post('/login/code', { email: address(), ...solved() });
    expect(await refusal(refused)).toEqual(overLimit);
    await t.server.idle();
    expect(t.mail).toHaveLength(mailed);
    expect(provider.verifications).toHaveLength(asked);
  });

  it('/login/verify: past the limit no code is judged, the right one neither; a new minute takes it', async () => {
    const b = pageBrowser(t);
    const email = address();
    await b.post('/login/code', { email, ...solved() });
    const code = codeIn(email);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 1; i < PER_MINUTE; i++) {
      const judged = await b.post('/login/verify', { email: address(), code: wrong });
      expect(await refusal(judged)).toMatchObject({
        status: 400,
        alert: 'That code is wrong, expired or already used.',
      });
    }
    const refused = await b.post('/login/verify', { email, code });
    expect(await refusal(refused)).toEqual(overLimit);
    t.clock.advance(60_000);
    expect((await b.post('/login/verify', { email, code })).status).toBe(303);
  });

  it('every hosted sign-in form shares the budget its JSON routes spend', async () => {
    for (let i = 0; i < PER_MINUTE; i++) {
      const sent = await t.request('/api/auth/magic/send', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: address(), captchaToken: provider.goodToken }),
      });
      expect(sent.status).toBe(200);
    }
    const b = pageBrowser(t);
    const email = address();
    const forms: Array<[string, Record<string, string>]> = [
      ['/login/code', { email, ...solved() }],
      ['/login/verify', { email, code: '123456' }],
      ['/login/password', { email, password: 'a password of some length' }],
      ['/signup', { email, password: 'an unlisted passphrase 42', ...solved() }],
      ['/reset', { email, ...solved() }],
      ['/reset/confirm', { email, code: 'x'.repeat(43), password: 'an unlisted passphrase 42' }],
    ];
    const asked = provider.verifications.length;
    for (const [path, form] of forms) {
      expect({ path, ...(await refusal(await b.post(path, form))) }).toEqual({ path, ...overLimit });
    }
    expect(provider.verifications).toHaveLength(asked);
  });
});
