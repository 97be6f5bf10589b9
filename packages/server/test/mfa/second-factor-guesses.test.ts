import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secondFactorCode } from '../../src/features/mfa/mfa-store.js';
import { base32Decode, hotp, timeStep } from '../../src/features/mfa/totp.js';
import { testDatabases } from '../support/databases.js';
import { pageBrowser, visibleText } from '../support/page-browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Body = Record<string, unknown> & { error?: { code: string } };
const PASSWORD = 'second factor guesses';

describe('secondFactorCode', () => {
  it('reads six digits as TOTP, eight letters and digits as a backup code however typed', () => {
    expect(secondFactorCode('123456')).toEqual({ kind: 'totp', value: '123456' });
    expect(secondFactorCode(' 123 456 ')).toEqual({ kind: 'totp', value: '123456' });
    for (const typed of ['B4ZD-J45G', 'B4ZDJ45G', 'b4zdj45g', 'B4ZD J45G', ' b4zd - j45g ']) {
      expect(secondFactorCode(typed), typed).toEqual({ kind: 'backup_code', value: 'B4ZD-J45G' });
    }
    for (const typed of ['12345', '1234567', 'B4ZD-J45', 'B4ZD_J45G', 'B4ZD-J45G-X', '']) {
      expect(secondFactorCode(typed), typed).toBeNull();
    }
  });
});

/**
 * Wrong second factors: locked per (IP, account), so someone who knows only the password cannot
 * lock the owner out from elsewhere, with an hourly cap per account; audited for the owner.
 */
describe.each(testDatabases)('second-factor guesses on $kind', (database) => {
  let t: TestServer;
  let n = 0;
  /** A request from `ip`, as the socket's peer. */
  const from = async (ip: string, path: string, body?: unknown, token?: string, method = 'POST') => {
    const response = await t.server.fetch(
      new Request(`http://localhost/api/auth${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
      { incoming: { socket: { remoteAddress: ip } } },
    );
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as Body,
    };
  };
  const HOME = '198.51.100.7';
  /** A password account with TOTP on: its secret and backup codes. */
  const enrolled = async () => {
    const email = `guess${++n}-${database.kind}@example.com`;
    const registered = await from(HOME, '/password/register', { email, password: PASSWORD });
    const token = registered.body.token as string;
    const sent = await from(HOME, '/email/send-verification', {}, token);
    await from(HOME, '/email/verify', { code: sent.body.dev_code }, token);
    const secret = (await from(HOME, '/totp/enroll', undefined, token)).body.secret as string;
    const code = (offset = 0) => hotp(base32Decode(secret), timeStep(t.clock.now()) + offset);
    const confirmed = await from(HOME, '/totp/verify', { code: code() }, token);
    t.clock.advance(30_000);
    return {
      email,
      token,
      code,
      userId: registered.body.user_id as string,
      backup: confirmed.body.backup_codes as string[],
    };
  };
  /** The first factor from `ip`: the challenge to answer. */
  const challengeFrom = async (ip: string, email: string) => {
    const login = await from(ip, '/password/login', { email, password: PASSWORD });
    expect(login.body.mfa_required).toBe(true);
    return login.body.mfa_token as string;
  };
  const answer = (ip: string, mfaToken: string, code: string) =>
    from(ip, '/totp/challenge', { mfa_token: mfaToken, code });

  beforeAll(async () => {
    t = await startTestServer(database);
  });
  afterAll(() => t.close());

  it('locks the guessing address only: the owner elsewhere still signs in with a code', async () => {
    const owner = await enrolled();
    const guesser = '203.0.113.50';
    const challenge = await challengeFrom(guesser, owner.email);
    for (let i = 0; i < 4; i++) expect((await answer(guesser, challenge, '000000')).status).toBe(401);
    // The fifth wrong code locks this (IP, account): the answer says so, with the wait.
    const fifth = await answer(guesser, challenge, '000000');
    expect(fifth).toMatchObject({ status: 429, retryAfter: '60', body: { error: { code: 'RATE_LIMITED' } } });
    // Starting again from there meets the lock, even with the right code.
    const again = await challengeFrom(guesser, owner.email);
    expect((await answer(guesser, again, owner.code())).status).toBe(429);

    const home = await challengeFrom(HOME, owner.email);
    const signedIn = await answer(HOME, home, owner.code());
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user_id).toBe(owner.userId);
  });

  it('caps wrong codes per account an hour, from any address', async () => {
    const owner = await enrolled();
    for (let ip = 0; ip < 6; ip++) {
      const challenge = await challengeFrom(`203.0.113.${ip + 1}`, owner.email);
      for (let i = 0; i < 5; i++) await answer(`203.0.113.${ip + 1}`, challenge, '000000');
    }
    const capped = await answer('192.0.2.200', await challengeFrom('192.0.2.200', owner.email), owner.code());
    expect(capped.status).toBe(429);
  });

  it('takes a backup code typed without its dash, with a space, in lower case', async () => {
    const owner = await enrolled();
    const typings = [
      owner.backup[0]!.replace('-', ''),
      owner.backup[1]!.replace('-', ' '),
      owner.backup[2]!.replace('-', '').toLowerCase(),
    ];
    for (const typed of typings) {
      const signedIn = await answer(HOME, await challengeFrom(HOME, owner.email), typed);
      expect(signedIn.status, typed).toBe(200);
    }
    // Each was spent: the same code in its printed form no longer works.
    const spent = await answer(HOME, await challengeFrom(HOME, owner.email), owner.backup[0]!);
    expect(spent.body.error?.code).toBe('INVALID_CODE');
  });

  it('audits wrong codes with the account as target and no code, where the owner sees them', async () => {
    const owner = await enrolled();
    const challenge = await challengeFrom('203.0.113.90', owner.email);
    await answer('203.0.113.90', challenge, '999999');
    await answer('203.0.113.90', challenge, 'ZZZZ-ZZZZ');
    await from(HOME, '/totp/disable', { code: '888888' }, owner.token);
    const own = await from(HOME, '/audit?limit=1000', undefined, owner.token, 'GET');
    const entries = (
      own.body.entries as Array<{ action: string; actor: string; target: string; detail: unknown }>
    )
      .filter((e) => e.action === 'auth.sign_in_failed' || e.action === 'totp.code_failed')
      .map(({ action, actor, target, detail }) => ({ action, actor, target, detail }));
    expect(entries).toEqual([
      {
        action: 'auth.sign_in_failed',
        actor: 'anonymous',
        target: owner.userId,
        detail: { method: 'totp', during: 'sign_in' },
      },
      {
        action: 'auth.sign_in_failed',
        actor: 'anonymous',
        target: owner.userId,
        detail: { method: 'backup_code', during: 'sign_in' },
      },
      {
        action: 'totp.code_failed',
        actor: owner.email,
        target: owner.userId,
        detail: { method: 'totp', during: 'totp_disable' },
      },
    ]);
  });

  it('the /login TOTP step, once wrong codes lock it, says how long to wait and shows no code field', async () => {
    const owner = await enrolled();
    const b = pageBrowser(t);
    const first = await (
      await b.post('/login/password', { email: owner.email, password: PASSWORD, return_to: '/account' })
    ).text();
    const mfaToken = /name="mfa_token" value="([^"]+)"/.exec(first)![1]!;
    const wrong = () => b.post('/login/totp', { mfa_token: mfaToken, code: '000000', return_to: '/account' });
    for (let i = 0; i < 4; i++) {
      const page = await wrong();
      expect(page.status).toBe(400);
      expect(await page.text()).toContain('name="code"');
    }
    for (const locked of [await wrong(), await wrong()]) {
      expect([locked.status, locked.headers.get('retry-after')]).toEqual([429, '60']);
      const page = await locked.text();
      expect(page).not.toContain('name="code"');
      expect(visibleText(page)).toContain('Wait 60 seconds');
      expect(page).toContain(`href="/login?return_to=${encodeURIComponent('/account')}"`);
    }
    // Once the lock is over, the spent sign-in is said to be over: still no field, a way to start again.
    t.clock.advance(61_000);
    const over = await wrong();
    expect(over.status).toBe(400);
    const page = await over.text();
    expect(page).not.toContain('name="code"');
    expect(visibleText(page)).toContain('Sign in again');
  });
});
