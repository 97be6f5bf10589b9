import { PylonError } from '@pylon/core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/config.js';
import { createIdentity, type Identity } from '../../src/features/identity/identity.js';
import { magicCodeSignIn } from '../../src/features/identity/magic-code-sign-in.js';
import { sendCode } from '../../src/features/identity/one-time-code.js';
import { replacePassword } from '../../src/features/identity/password-policy.js';
import { passwordRegister, passwordSignIn } from '../../src/features/identity/password-sign-in.js';
import { sessionResolver } from '../../src/features/identity/session-resolver.js';
import { type RequestFacts, signIn } from '../../src/features/identity/sign-in.js';
import type { MailMessage } from '../../src/mail/mailer.js';
import { createServer } from '../../src/server.js';
import type { Storage } from '../../src/storage/database.js';
import { type ScratchDatabase, testDatabases } from '../support/databases.js';
import { recordingMailer, TEST_SECRET } from '../support/server.js';

/**
 * The sign-in use cases called with plain values: no route, no request, no HTTP context. The
 * services come from the same factory the server uses (with no features, so nothing is mounted).
 */
describe.each(testDatabases)('identity use cases without HTTP on $kind', (database) => {
  let scratch: ScratchDatabase;
  let storage: Storage;
  let identity: Identity;
  const clock = manualClock(Date.UTC(2026, 10, 25, 12));
  const mail: MailMessage[] = [];
  const facts: RequestFacts = {
    ip: '192.0.2.7',
    userAgent: 'use-case-test/1',
    requestId: 'req-use-case',
    guestUserId: null,
  };

  beforeAll(async () => {
    scratch = await database.create();
    storage = await scratch.openMigrated();
    const config = loadConfig({
      PYLON_SECRET: TEST_SECRET,
      PYLON_DATABASE_URL: scratch.config.url,
      PYLON_LOG_LEVEL: 'silent',
    });
    const { services } = createServer(
      config,
      { storage, clock, logger: pino({ level: 'silent' }), mailer: recordingMailer(mail) },
      [],
    );
    identity = createIdentity(services);
  });
  afterAll(async () => {
    await storage.close();
    await scratch.drop();
  });

  const codeFor = async (email: string) =>
    sendCode(identity, facts, 'magic', email, (code) => ({ subject: 'Code', text: code, html: code }));
  const audit = (action: string) =>
    storage.db.selectFrom('audit_events').selectAll().where('action', '=', action).execute();

  it('a valid magic code signs in: a session from the facts, expiring by the frozen clock', async () => {
    const code = await codeFor('magic@example.com');
    const outcome = await magicCodeSignIn(identity, facts, { email: 'magic@example.com', code });
    if (outcome.kind !== 'signed_in') throw new Error(`expected a session, got ${outcome.kind}`);
    expect(outcome.expiresAt).toBe(clock.now() + identity.services.config.sessionTTLSeconds * 1000);
    const found = await identity.sessions.lookup(outcome.token, clock.now());
    if (found.kind !== 'ok') throw new Error(`expected a live session, got ${found.kind}`);
    expect(found.session).toMatchObject({
      userId: outcome.userId,
      email: 'magic@example.com',
      device: 'use-case-test/1',
      ip: '192.0.2.7',
    });
    expect(found.session.emailVerifiedAt).not.toBeNull();
    const signIns = (await audit('auth.sign_in')).filter((entry) => entry.target === outcome.userId);
    expect(signIns).toMatchObject([{ ip: '192.0.2.7', request_id: 'req-use-case' }]);
  });

  it('a wrong magic code is INVALID_CODE and leaves no session; a missing one is MISSING_CODE', async () => {
    const code = await codeFor('wrong@example.com');
    const wrong = code === '000000' ? '111111' : '000000';
    const attempt = magicCodeSignIn(identity, facts, { email: 'wrong@example.com', code: wrong });
    await expect(attempt).rejects.toMatchObject({ code: 'INVALID_CODE' });
    const blank = magicCodeSignIn(identity, facts, { email: 'wrong@example.com', code: ' ' });
    await expect(blank).rejects.toBeInstanceOf(PylonError);
    await expect(blank).rejects.toMatchObject({ code: 'MISSING_CODE' });
    expect(await identity.users.findByEmail('wrong@example.com')).toBeNull();
    // The code was not spent by the wrong guess: the right one still signs in.
    expect((await magicCodeSignIn(identity, facts, { email: 'wrong@example.com', code })).kind).toBe(
      'signed_in',
    );
  });

  it('a guest named in the facts is merged into the account signed in to', async () => {
    const guest = await signIn(identity, facts, {
      method: 'guest',
      kind: 'guest',
      prepare: async (trx, at) => (await identity.users.create(trx, at, { email: null, guest: true })).id,
    });
    if (guest.kind !== 'signed_in') throw new Error('a guest needs no second factor');
    const code = await codeFor('merged@example.com');
    const outcome = await magicCodeSignIn(
      identity,
      { ...facts, guestUserId: guest.userId },
      { email: 'merged@example.com', code },
    );
    expect(outcome.kind).toBe('signed_in');
    expect(await identity.users.findById(guest.userId)).toBeNull();
    expect((await audit('guest.merged')).map((entry) => entry.target)).toContain(guest.userId);
  });

  it('password: register, a wrong password is INVALID_CREDENTIALS (audited with the facts), the right one signs in', async () => {
    const registered = await passwordRegister(identity, facts, {
      email: 'pw@example.com',
      password: 'a good long password',
    });
    expect(registered.kind).toBe('signed_in');
    await expect(
      passwordRegister(identity, facts, { email: 'pw@example.com', password: 'a good long password' }),
    ).rejects.toMatchObject({ code: 'EMAIL_TAKEN' });
    const wrong = passwordSignIn(
      identity,
      { ...facts, ip: '192.0.2.99' },
      {
        email: 'pw@example.com',
        password: 'not the password',
      },
    );
    await expect(wrong).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect((await audit('auth.sign_in_failed')).map((entry) => entry.ip)).toContain('192.0.2.99');
    const right = await passwordSignIn(identity, facts, {
      email: 'pw@example.com',
      password: 'a good long password',
    });
    expect(right.kind).toBe('signed_in');
  });

  it('replacing a password revokes every other session and audits the facts', async () => {
    const a = await passwordRegister(identity, facts, {
      email: 'swap@example.com',
      password: 'first password!',
    });
    const b = await passwordSignIn(identity, facts, {
      email: 'swap@example.com',
      password: 'first password!',
    });
    if (a.kind !== 'signed_in' || b.kind !== 'signed_in') throw new Error('expected sessions');
    const kept = await identity.sessions.lookup(b.token, clock.now());
    if (kept.kind !== 'ok') throw new Error('expected a live session');
    const revoked = await replacePassword(
      identity,
      { ip: '192.0.2.8', requestId: 'req-change' },
      {
        userId: a.userId,
        hash: await identity.hasher.hash('second password!'),
        action: 'password.changed',
        keepSession: kept.session.id,
      },
    );
    expect(revoked).toBe(1);
    expect((await identity.sessions.lookup(a.token, clock.now())).kind).toBe('unknown');
    expect((await identity.sessions.lookup(b.token, clock.now())).kind).toBe('ok');
    expect(await audit('password.changed')).toMatchObject([{ ip: '192.0.2.8', request_id: 'req-change' }]);
  });

  it('the session resolver tells an expired bearer token from an unknown one with its one read', async () => {
    const { services } = identity;
    const resolver = sessionResolver(services.config, identity.sessions, identity.activity, clock);
    const code = await codeFor('expiring@example.com');
    const outcome = await magicCodeSignIn(identity, facts, { email: 'expiring@example.com', code });
    if (outcome.kind !== 'signed_in') throw new Error('expected a session');
    const credentials = (bearer: string | null, cookies: Record<string, string> = {}) => ({
      bearer,
      cookies,
      method: 'GET',
      origin: null,
      referer: null,
      userAgent: null,
      header: () => null,
      query: new URLSearchParams(),
    });
    expect(await resolver.resolve(credentials(outcome.token))).toMatchObject({
      authMethod: 'session',
      userId: outcome.userId,
    });
    const later = manualClock(outcome.expiresAt);
    const afterExpiry = sessionResolver(services.config, identity.sessions, identity.activity, later);
    expect(await afterExpiry.resolve(credentials(outcome.token))).toMatchObject({
      authMethod: 'anonymous',
      userId: null,
      sessionLookup: 'expired',
    });
    expect(await afterExpiry.resolve(credentials(`pylon_${'0'.repeat(64)}`))).toBeNull();
    // An expired cookie is no caller at all, as before: only a bearer token is answered `expired`.
    expect(await afterExpiry.resolve(credentials(null, { pylon_session: outcome.token }))).toBeNull();
  });
});
