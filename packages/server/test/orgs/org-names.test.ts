import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrgStore } from '../../src/features/orgs/org-store.js';
import { createLogger } from '../../src/logger.js';
import { checkOutgoingMessage } from '../../src/mail/message-guard.js';
import { testDatabases } from '../support/databases.js';
import { followShown } from '../support/page-browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Body = Record<string, unknown> & { error?: { code: string; message: string } };

/** Names that would break an invitation's Subject line or reorder what the invitee reads. */
const REFUSED: Array<[string, string]> = [
  ['a CR/LF (a header break in the invite Subject)', 'Acme\r\nBcc: everyone@example.com'],
  ['a right-to-left override', 'Invoice \u202egnp.exe'],
  ['a zero-width space', 'Ac\u200bme'],
  ['a NUL', 'Acme\u0000'],
  ['a line separator', 'Acme\u2028Ltd'],
];

/**
 * Org names are plain display text (docs/SECURITY.md, the "Org names" row): they go verbatim
 * into invitation emails and the console. An invite email that cannot go is logged with why.
 */
describe.each(testDatabases)('org names on $kind', (database) => {
  let t: TestServer;
  let token: string;
  const logLines: Record<string, unknown>[] = [];

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await t.request(`/api/auth${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };
  const orgCount = async () =>
    Number(
      (
        await t.storage.db
          .selectFrom('orgs')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirst()
      )?.n,
    );

  beforeAll(async () => {
    const out = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    t = await startTestServer(database, {
      logger: createLogger('info', out),
      // As every real transport does before it sends (create-mailer.ts).
      mailer: {
        provider: 'guarded',
        send: async (message) => checkOutgoingMessage(message, 'pylon@example.com'),
      },
    });
    const registered = await t.request('/api/auth/password/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'namer@example.com', password: 'org names password' }),
    });
    token = ((await registered.json()) as { token: string }).token;
  });
  afterAll(() => t.close());

  it.each(REFUSED)(
    'POST /orgs refuses a name with %s: 400 VALIDATION_FAILED, nothing created',
    async (_what, name) => {
      const before = await orgCount();
      const refused = await call('POST', '/orgs', { name });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining(
          'must not contain control, format (bidi, zero-width) or line-breaking characters',
        ),
      });
      expect(await orgCount()).toBe(before);
    },
  );

  it('POST /orgs keeps accents, other scripts and symbols', async () => {
    const created = await call('POST', '/orgs', { name: 'Café Ωmega™ 日本' });
    expect(created).toMatchObject({ status: 201, body: { name: 'Café Ωmega™ 日本' } });
  });

  it('the console refuses such a name on its form, saying why', async () => {
    const origin = t.server.services.config.publicURL;
    const shown = await t.request('/console', { headers: { cookie: `pylon_session=${token}` } });
    const csrf = /pylon_console_csrf=([^;]+)/.exec(shown.headers.get('set-cookie') ?? '')![1]!;
    const cookie = `pylon_session=${token}; pylon_console_csrf=${csrf}`;
    const before = await orgCount();
    const answer = await t.request('/console/orgs', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin, cookie },
      body: new URLSearchParams({ csrf, name: 'Invoice \u202egnp.exe' }).toString(),
    });
    const page = await followShown(t, answer, cookie);
    expect(page.status).toBe(400);
    const text = await page.text();
    expect(text).toContain('must not contain control, format (bidi, zero-width) or line-breaking characters');
    expect(text).toContain('VALIDATION_FAILED');
    expect(await orgCount()).toBe(before);
  });

  it('an invite email that fails is logged with the reason, never the address or the token', async () => {
    // An org named before names were checked: its invitation Subject cannot be sent.
    const store = new OrgStore(t.storage.db, t.storage.dialect);
    const userId = (await call('GET', '/session')).body.user as { id: string };
    await t.storage.db.transaction().execute(async (trx) => {
      await store.create(trx, { id: 'legacy-name', name: 'Legacy\r\nName', now: t.clock.now() });
      await store.addMember(trx, 'legacy-name', userId.id, 'owner', t.clock.now());
    });
    const invitee = 'invitee@example.com';
    const failed = await call('POST', '/orgs/legacy-name/invites', { email: invitee });
    expect(failed.status).toBe(500);
    expect(failed.body.error?.code).toBe('EMAIL_SEND_FAILED');
    const line = logLines.find((l) => l.msg === 'invite email failed');
    expect(line).toMatchObject({
      level: 50,
      orgId: 'legacy-name',
      reason: 'email subject contains a line break; refused before sending',
    });
    expect(JSON.stringify(line)).not.toContain(invitee);
    expect(JSON.stringify(line)).not.toContain('pyinv_');
    expect((await call('GET', '/orgs/legacy-name/invites')).body).toEqual([]);
  });
});
