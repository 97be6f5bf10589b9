import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, hotp, timeStep } from '../../src/features/mfa/totp.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Body = Record<string, unknown> & { error?: { code: string } };
const ADMIN = 'admin-token-for-mfa-tests-0123456789';
/** The deployment audit's entries by one actor, as the admin token reads them over HTTP. */
async function deploymentAuditOf(t: TestServer, actorId: string) {
  const response = await t.request('/api/auth/audit/deployment?since=0&limit=1000', {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  expect(response.status).toBe(200);
  const { entries } = (await response.json()) as {
    entries: Array<{ action: string; actor_id: string | null; detail?: Record<string, unknown> }>;
  };
  return entries.filter((e) => e.actor_id === actorId);
}

describe.each(testDatabases)('TOTP two-factor on $kind', (database) => {
  let t: TestServer;
  let n = 0;
  const call = async (path: string, body?: unknown, token?: string) => {
    const response = await t.request(`/api/auth${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: response.status,
      cookie: response.headers.get('set-cookie'),
      body: (await response.json()) as Body,
    };
  };
  const codeFor = (secret: string, offsetSteps = 0) =>
    hotp(base32Decode(secret), timeStep(t.clock.now()) + offsetSteps);

  /** A password account with TOTP enabled: its secret and backup codes. */
  const enrolled = async () => {
    const email = `mfa${++n}-${database.kind}@example.com`;
    const password = 'second factor please';
    const registered = await call('/password/register', { email, password });
    const token = registered.body.token as string;
    // A proven address: a first proof later (an emailed code, a reset) would drop the factor.
    const sent = await call('/email/send-verification', {}, token);
    expect((await call('/email/verify', { code: sent.body.dev_code }, token)).status).toBe(200);
    const enrolment = await call('/totp/enroll', undefined, token);
    const secret = enrolment.body.secret as string;
    const confirmed = await call('/totp/verify', { code: codeFor(secret) }, token);
    t.clock.advance(30_000);
    return {
      email,
      password,
      token,
      secret,
      userId: registered.body.user_id as string,
      backup: confirmed.body.backup_codes as string[],
    };
  };

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
  });
  afterAll(() => t.close());

  it('enrolment: a secret and otpauth URL, enabled by the first code, with ten backup codes', async () => {
    const email = `enrol-${database.kind}@example.com`;
    const { body } = await call('/password/register', { email, password: 'enrol me please' });
    const token = body.token as string;
    expect((await call('/totp/verify', { code: '123456' }, token)).body.error?.code).toBe(
      'TOTP_NOT_ENROLLED',
    );
    const enrolment = await call('/totp/enroll', undefined, token);
    expect(enrolment.body).toMatchObject({
      secret: expect.stringMatching(/^[A-Z2-7]{32}$/),
      url: expect.stringMatching(/^otpauth:\/\/totp\/Pylon:/),
      issuer: 'Pylon',
      account: email,
    });
    const secret = enrolment.body.secret as string;
    expect((await call('/totp/verify', { code: codeFor(secret, 5) }, token)).body.error?.code).toBe(
      'INVALID_CODE',
    );
    const confirmed = await call('/totp/verify', { code: codeFor(secret) }, token);
    expect(confirmed.body.enabled).toBe(true);
    expect(confirmed.body.backup_codes).toHaveLength(10);
    for (const code of confirmed.body.backup_codes as string[])
      expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    expect((await call('/totp/enroll', undefined, token)).body.error?.code).toBe('TOTP_ALREADY_ENABLED');

    // Only the raw rows show what is at rest.
    const stored = JSON.stringify(await t.storage.db.selectFrom('totp_factors').selectAll().execute());
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(Buffer.from(base32Decode(secret)).toString('base64url'));
    const backups = JSON.stringify(await t.storage.db.selectFrom('backup_codes').selectAll().execute());
    for (const code of confirmed.body.backup_codes as string[]) expect(backups).not.toContain(code);
  });

  it('password and magic-code sign-ins stop at mfa_required; the challenge gives the session', async () => {
    const user = await enrolled();
    const login = await call('/password/login', { email: user.email, password: user.password });
    expect(login.body).toEqual({ mfa_required: true, mfa_token: expect.stringMatching(/^mfa_/) });
    expect(login.cookie).toBeNull();
    // The mfa_token grants nothing but the challenge.
    const asBearer = await t.request('/api/auth/me', {
      headers: { authorization: `Bearer ${login.body.mfa_token}` },
    });
    expect(((await asBearer.json()) as { userId: string | null }).userId).toBeNull();
    expect(
      (await call('/totp/challenge', { mfa_token: login.body.mfa_token, code: '000000' })).body.error?.code,
    ).toBe('INVALID_CODE');
    const done = await call('/totp/challenge', {
      mfa_token: login.body.mfa_token,
      code: codeFor(user.secret),
    });
    expect(done.body).toMatchObject({ token: expect.stringMatching(/^pylon_/), user_id: user.userId });
    expect(done.cookie).toContain('pylon_session=');
    expect(
      (await call('/totp/challenge', { mfa_token: login.body.mfa_token, code: codeFor(user.secret) })).body
        .error?.code,
    ).toBe('INVALID_MFA_TOKEN');

    t.clock.advance(60_000);
    const sent = await call('/magic/send', { email: user.email });
    const magic = await call('/magic/verify', { email: user.email, code: sent.body.dev_code });
    expect(magic.body.mfa_required).toBe(true);
    const entries = (await deploymentAuditOf(t, user.userId)).filter((e) => e.action === 'auth.sign_in');
    expect(entries.map((e) => e.detail?.method)).toContain('password+totp');
  });

  it('a code is accepted once: replaying it inside its window fails', async () => {
    const user = await enrolled();
    const code = codeFor(user.secret);
    const first = await call('/password/login', { email: user.email, password: user.password });
    expect((await call('/totp/challenge', { mfa_token: first.body.mfa_token, code })).status).toBe(200);
    const second = await call('/password/login', { email: user.email, password: user.password });
    const replay = await call('/totp/challenge', { mfa_token: second.body.mfa_token, code });
    expect(replay.body.error?.code).toBe('INVALID_CODE');
  });

  it('a backup code works once', async () => {
    const user = await enrolled();
    const [backup] = user.backup;
    const first = await call('/password/login', { email: user.email, password: user.password });
    expect(
      (await call('/totp/challenge', { mfa_token: first.body.mfa_token, code: backup!.toLowerCase() }))
        .status,
    ).toBe(200);
    const second = await call('/password/login', { email: user.email, password: user.password });
    expect(
      (await call('/totp/challenge', { mfa_token: second.body.mfa_token, code: backup })).body.error?.code,
    ).toBe('INVALID_CODE');
  });

  it('a challenge is burned by five wrong codes and expires after five minutes', async () => {
    const user = await enrolled();
    const login = await call('/password/login', { email: user.email, password: user.password });
    for (let i = 0; i < 5; i++)
      await call('/totp/challenge', { mfa_token: login.body.mfa_token, code: '000000' });
    // The five wrong codes also locked this (IP, account) for a minute: that is said first.
    const locked = await call('/totp/challenge', {
      mfa_token: login.body.mfa_token,
      code: codeFor(user.secret),
    });
    expect(locked.body.error?.code).toBe('RATE_LIMITED');
    t.clock.advance(61_000);
    const burned = await call('/totp/challenge', {
      mfa_token: login.body.mfa_token,
      code: codeFor(user.secret),
    });
    expect(burned.body.error?.code).toBe('INVALID_MFA_TOKEN');

    t.clock.advance(16 * 60_000); // past the TOTP lockout those failures caused
    const late = await call('/password/login', { email: user.email, password: user.password });
    t.clock.advance(5 * 60_000 + 1);
    expect(
      (await call('/totp/challenge', { mfa_token: late.body.mfa_token, code: codeFor(user.secret) })).body
        .error?.code,
    ).toBe('INVALID_MFA_TOKEN');
    expect(
      (await call('/totp/challenge', { mfa_token: 'mfa_forged', code: '123456' })).body.error?.code,
    ).toBe('INVALID_MFA_TOKEN');
  });

  it('wrong codes sent at once are counted one by one: of 12, 5 are checked and 7 refused', async () => {
    const user = await enrolled();
    const racing = await Promise.all(
      Array.from({ length: 12 }, () => call('/totp/disable', { code: '000000' }, user.token)),
    );
    const codes = racing.map((answer) => answer.body.error?.code).sort();
    expect(codes).toEqual([...Array(5).fill('INVALID_CODE'), ...Array(7).fill('RATE_LIMITED')]);
    // Locked: even the right code waits for the lock to end, then works.
    expect((await call('/totp/disable', { code: codeFor(user.secret) }, user.token)).status).toBe(429);
    t.clock.advance(16 * 60_000);
    expect((await call('/totp/disable', { code: codeFor(user.secret) }, user.token)).body).toMatchObject({
      disabled: true,
    });
  });

  it('password reset does not bypass TOTP', async () => {
    const user = await enrolled();
    t.clock.advance(61_000);
    await call('/password/reset/request', { email: user.email });
    await t.server.idle();
    const token = /\n\s+([A-Za-z0-9_-]{43})\n/.exec(t.mail.at(-1)!.text)![1];
    expect(
      (await call('/password/reset/complete', { token, newPassword: 'a brand new password' })).status,
    ).toBe(200);
    const login = await call('/password/login', { email: user.email, password: 'a brand new password' });
    expect(login.body.mfa_required).toBe(true);
  });

  it('disable needs a current code; afterwards sign-in gives a session directly', async () => {
    const user = await enrolled();
    expect((await call('/totp/disable', { code: '000000' }, user.token)).body.error?.code).toBe(
      'INVALID_CODE',
    );
    expect((await call('/totp/disable', {}, user.token)).body.error?.code).toBe('MISSING_CODE');
    expect((await call('/totp/disable', { code: ['123456'] }, user.token)).body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('received array'),
    });
    const regenerated = await call('/totp/backup-codes/regenerate', undefined, user.token);
    expect(regenerated.body.codes).toHaveLength(10);
    expect((await call('/totp/disable', { code: codeFor(user.secret) }, user.token)).body).toEqual({
      disabled: true,
    });
    const login = await call('/password/login', { email: user.email, password: user.password });
    expect(login.body.token).toMatch(/^pylon_/);
    expect((await call('/totp/backup-codes/regenerate', undefined, user.token)).body.error?.code).toBe(
      'TOTP_NOT_ENROLLED',
    );
    const actions = (await deploymentAuditOf(t, user.userId)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['totp.enrolled', 'totp.disabled']));
  });

  it('the deployment admin can still mint a session for a user with TOTP', async () => {
    const user = await enrolled();
    const minted = await call('/session', { user_id: user.userId }, ADMIN);
    expect(minted.body.token).toMatch(/^pylon_/);
  });
});
