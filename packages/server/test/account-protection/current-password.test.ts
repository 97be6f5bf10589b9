import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Body = Record<string, unknown> & { error?: { code: string } };
const PASSWORD = 'the current password';

/**
 * The current password asked for again (POST /password/change, DELETE /account with a password)
 * is a guess like a sign-in's: under the same lockout, counted with the account's sign-ins, and a
 * wrong one is audited where the account's owner sees it.
 */
describe.each(testDatabases)('guessing the current password on $kind', (database) => {
  let t: TestServer;
  let n = 0;
  /** A request from `ip`, as the socket's peer (no proxy involved). */
  const from = async (
    ip: string,
    path: string,
    init: { method?: string; token?: string; body?: unknown },
  ) => {
    const response = await t.server.fetch(
      new Request(`http://localhost/api/auth${path}`, {
        method: init.method ?? 'POST',
        headers: {
          'content-type': 'application/json',
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      }),
      { incoming: { socket: { remoteAddress: ip } } },
    );
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as Body,
    };
  };
  const register = async () => {
    const email = `guessed${++n}-${database.kind}@example.com`;
    const { body } = await from('198.51.100.1', '/password/register', {
      body: { email, password: PASSWORD },
    });
    return { email, token: body.token as string, userId: body.user_id as string };
  };
  const change = (ip: string, token: string, currentPassword: string) =>
    from(ip, '/password/change', {
      token,
      body: { currentPassword, newPassword: 'a new password entirely' },
    });
  const ownAudit = async (token: string) =>
    (
      (await from('198.51.100.1', '/audit?limit=1000', { method: 'GET', token })).body as {
        entries: Array<{ action: string; target: string | null; detail?: Record<string, unknown> }>;
      }
    ).entries;

  beforeAll(async () => {
    t = await startTestServer(database);
  });
  afterAll(() => t.close());

  it('POST /password/change: five wrong guesses per (IP, account), then 429 — the right one too', async () => {
    const { email, token, userId } = await register();
    const attacker = '203.0.113.9';
    for (let i = 0; i < 5; i++) {
      expect((await change(attacker, token, `wrong guess ${i}`)).body.error?.code).toBe('WRONG_PASSWORD');
    }
    const locked = await change(attacker, token, 'wrong guess 5');
    expect(locked).toMatchObject({
      status: 429,
      retryAfter: '60',
      body: { error: { code: 'RATE_LIMITED' } },
    });
    expect((await change(attacker, token, PASSWORD)).status).toBe(429);
    // One count with sign-in: the same address is locked out of signing in to the account too.
    const signIn = await from(attacker, '/password/login', { body: { email, password: PASSWORD } });
    expect(signIn.status).toBe(429);
    // Per (IP, account): the owner elsewhere is not locked out.
    expect(
      (await from('192.0.2.44', '/password/login', { body: { email, password: PASSWORD } })).status,
    ).toBe(200);

    const failures = (await ownAudit(token)).filter((e) => e.action === 'auth.sign_in_failed');
    expect(failures).toHaveLength(5);
    for (const entry of failures) {
      expect(entry.target).toBe(userId);
      expect(entry.detail).toEqual({ method: 'password', during: 'password_change' });
    }
    expect(JSON.stringify(failures)).not.toContain('wrong guess');

    t.clock.advance(61_000);
    expect((await change(attacker, token, PASSWORD)).body).toMatchObject({ changed: true });
  });

  it('the hourly budget per account holds across addresses', async () => {
    const { token } = await register();
    const answers: number[] = [];
    for (let i = 0; i < 32; i++)
      answers.push((await change(`203.0.113.${100 + i}`, token, `wrong ${i}`)).status);
    expect(answers.slice(0, 30)).toEqual(Array(30).fill(401));
    expect(answers.slice(30)).toEqual([429, 429]);
    expect((await change('192.0.2.45', token, PASSWORD)).status).toBe(429);
  });

  it('DELETE /account: a password sent is checked even right after sign-in', async () => {
    const { token, userId } = await register();
    const wrong = await from('198.51.100.1', '/account', {
      method: 'DELETE',
      token,
      body: { password: 'wrong guess' },
    });
    expect(wrong).toMatchObject({ status: 403, body: { error: { code: 'REAUTH_REQUIRED' } } });
    expect((await from('198.51.100.1', '/session', { method: 'GET', token })).body.user).toMatchObject({
      id: userId,
    });
    const failures = (await ownAudit(token)).filter((e) => e.action === 'auth.sign_in_failed');
    expect(failures).toEqual([
      expect.objectContaining({ target: userId, detail: { method: 'password', during: 'account_deletion' } }),
    ]);
  });

  it('DELETE /account: wrong passwords meet the lockout; the account stays until the right one', async () => {
    const { token, userId } = await register();
    t.clock.advance(5 * 60_000 + 1);
    const attacker = '203.0.113.77';
    const remove = (password: string) =>
      from(attacker, '/account', { method: 'DELETE', token, body: { password } });
    for (let i = 0; i < 5; i++) expect((await remove(`wrong ${i}`)).body.error?.code).toBe('REAUTH_REQUIRED');
    expect((await remove('wrong 5')).status).toBe(429);
    expect((await remove(PASSWORD)).status).toBe(429);
    expect((await from('198.51.100.1', '/session', { method: 'GET', token })).body.user).toMatchObject({
      id: userId,
    });
    t.clock.advance(61_000);
    expect((await remove(PASSWORD)).body).toEqual({ deleted: true });
  });
});
