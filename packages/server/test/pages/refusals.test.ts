import { PylonError } from '@pylon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/http/context.js';
import { pageRefusal, WAIT_A_MOMENT, waitSentence } from '../../src/pages/refusal.js';
import { testDatabases } from '../support/databases.js';
import { csrfOf, pageBrowser, signedInBrowser, visibleText } from '../support/page-browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe('waitSentence', () => {
  it('names seconds under a minute and a half, whole minutes rounded up beyond', () => {
    expect(waitSentence('1')).toBe('Too many attempts. Wait 1 second and try again.');
    expect(waitSentence('54')).toBe('Too many attempts. Wait 54 seconds and try again.');
    expect(waitSentence('89')).toBe('Too many attempts. Wait 89 seconds and try again.');
    expect(waitSentence('90')).toBe('Too many attempts. Wait 2 minutes and try again.');
    expect(waitSentence('900')).toBe('Too many attempts. Wait 15 minutes and try again.');
    expect(waitSentence('3601')).toBe('Too many attempts. Wait 61 minutes and try again.');
  });

  it('says a moment for a missing, zero, negative, fractional or non-numeric wait', () => {
    for (const value of [undefined, '', '0', '-5', '1.5', 'soon', 'Wed, 21 Oct 2015 07:28:00 GMT']) {
      expect(waitSentence(value), String(value)).toBe(WAIT_A_MOMENT);
    }
  });
});

describe('pageRefusal', () => {
  /** The one part of a Hono context the refusal uses: the headers it sets. */
  const context = () => {
    const headers = new Map<string, string>();
    const c = { header: (name: string, value: string) => headers.set(name, value) } as unknown as AppContext;
    return { c, headers };
  };

  it('answers RATE_LIMITED with 429, its Retry-After and the wait', () => {
    const { c, headers } = context();
    const error = new PylonError('RATE_LIMITED', { headers: { 'Retry-After': '42' } });
    expect(pageRefusal(c, error, {})).toEqual({
      message: 'Too many attempts. Wait 42 seconds and try again.',
      status: 429,
    });
    expect(headers.get('Retry-After')).toBe('42');
  });

  it('answers RATE_LIMITED without a Retry-After with 429 and no header', () => {
    const { c, headers } = context();
    expect(pageRefusal(c, new PylonError('RATE_LIMITED'), {})).toEqual({
      message: WAIT_A_MOMENT,
      status: 429,
    });
    expect(headers.size).toBe(0);
  });

  it("answers any other refusal with 400 and the page's sentence, or a general one", () => {
    const { c, headers } = context();
    const messages = { INVALID_CODE: 'That code is wrong.' };
    expect(pageRefusal(c, new PylonError('INVALID_CODE'), messages)).toEqual({
      message: 'That code is wrong.',
      status: 400,
    });
    expect(pageRefusal(c, new PylonError('INVALID_EMAIL'), messages)).toEqual({
      message: 'Something went wrong. Try again.',
      status: 400,
    });
    expect(headers.size).toBe(0);
  });

  it('throws on anything but a PylonError: a bug is no refusal to show', () => {
    const { c, headers } = context();
    const bug = new TypeError('not a refusal');
    expect(() => pageRefusal(c, bug, {})).toThrow(bug);
    expect(headers.size).toBe(0);
  });
});

/** What a page answers to a form refused for a minute (one code a minute per address, the first lockout). */
const A_MINUTE = {
  status: 429,
  retryAfter: '60',
  alert: 'Too many attempts. Wait 60 seconds and try again.',
};

/** The hosted pages' answer to a rate-limited form: what the JSON API says, for a person. */
describe.each(testDatabases)('rate-limited forms on the hosted pages, $kind', (database) => {
  let t: TestServer;
  let n = 0;
  const address = () => `wait-${++n}-${database.kind}@example.com`;

  beforeAll(async () => {
    t = await startTestServer(database);
    t.clock.set(Date.now());
  });
  afterAll(() => t.close());

  /** The page's status, Retry-After and what it says in its alert. */
  const refusal = async (response: Response) => {
    const text = await response.text();
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      alert: /role="alert"[^>]*>([^<]*)</.exec(text)?.[1] ?? visibleText(text),
    };
  };

  it('/login/code: an address over the form’s limit is said on the sign-in page (400), not as JSON', async () => {
    const b = pageBrowser(t);
    const response = await b.post('/login/code', {
      email: `${'x'.repeat(330)}@example.com`,
      return_to: '/account/security',
    });
    expect(response.headers.get('content-type')).toContain('text/html');
    const text = await response.clone().text();
    expect(await refusal(response)).toMatchObject({
      status: 400,
      alert: 'Email is too long: at most 320 characters.',
    });
    // Where the person was going is kept; what they typed is not shown again.
    expect(text).toContain('value="/account/security"');
    expect(text).not.toContain('x'.repeat(330));
  });

  it('/login/code: a second code within the minute is 429, saying how long to wait, and the wait ends', async () => {
    const b = pageBrowser(t);
    const email = address();
    expect((await b.post('/login/code', { email })).status).toBe(200);
    const again = await refusal(await b.post('/login/code', { email }));
    expect(again).toEqual(A_MINUTE);
    t.clock.advance(45_000);
    expect(await refusal(await b.post('/login/code', { email }))).toMatchObject({
      status: 429,
      retryAfter: '15',
      alert: 'Too many attempts. Wait 15 seconds and try again.',
    });
    t.clock.advance(15_000);
    expect((await b.post('/login/code', { email })).status).toBe(200);
  });

  it('/login/password: the lockout after five failures is 429 with its wait; a wrong password before it, 400', async () => {
    const b = pageBrowser(t);
    const email = address();
    for (let i = 0; i < 5; i++) {
      const wrong = await refusal(await b.post('/login/password', { email, password: 'not the password' }));
      expect(wrong).toEqual({
        status: 400,
        retryAfter: null,
        alert: 'That email and password do not match.',
      });
    }
    // The (IP, account) lockout's first lock lasts a minute (rate-limit/rules.ts, baseLockSeconds).
    expect(await refusal(await b.post('/login/password', { email, password: 'not the password' }))).toEqual(
      A_MINUTE,
    );
  });

  it('/reset (a signed-out form): a second reset code within the minute is 429', async () => {
    const b = pageBrowser(t);
    const email = address();
    expect((await b.post('/reset', { email })).status).toBe(200);
    const again = await refusal(await b.post('/reset', { email }));
    expect(again).toEqual(A_MINUTE);
  });

  it('/account/email (a signed-in form): a second code to the same new address within the minute is 429', async () => {
    const b = await signedInBrowser(t, address());
    const newEmail = address();
    const page = await (await b.get('/account')).text();
    expect((await b.post('/account/email', { csrf: csrfOf(page), email: newEmail })).status).toBe(200);
    const again = await refusal(await b.post('/account/email', { csrf: csrfOf(page), email: newEmail }));
    expect(again).toEqual(A_MINUTE);
  });
});
