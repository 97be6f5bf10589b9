import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { MailDeliveryError } from '../../src/mail/index.js';
import type { Mailer, MailMessage } from '../../src/mail/mailer.js';
import { testDatabases } from '../support/databases.js';
import { csrfOf, pageBrowser } from '../support/page-browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * A mailer whose email-change codes stay pending until the test settles them (other mail goes at
 * once, into `delivered`): an answer that arrives while such a send is pending did not wait on
 * the mail server (docs/SECURITY.md, "No oracles").
 */
function heldMailer() {
  const held: Array<{ message: MailMessage; deliver: () => void; fail: (error: Error) => void }> = [];
  const delivered: MailMessage[] = [];
  const mailer: Mailer = {
    provider: 'held',
    send: (message) =>
      new Promise<void>((deliver, fail) => {
        if (message.subject === 'Confirm your new email address') held.push({ message, deliver, fail });
        else {
          delivered.push(message);
          deliver();
        }
      }),
  };
  return { mailer, held, delivered };
}

const json = { 'content-type': 'application/json' };

/**
 * `POST /api/auth/email/change` and the hosted `POST /account/email` answer before the code's
 * email is delivered, for a free address as for a taken one (which gets none): the answer's
 * timing must not say which it was.
 */
describe.each(testDatabases)('email change mail after the answer on $kind', (database) => {
  let t: TestServer;
  const { mailer, held, delivered } = heldMailer();
  const logLines: Record<string, unknown>[] = [];
  let n = 0;
  const address = (label: string) => `${label}-${++n}-${database.kind}@example.com`;

  beforeAll(async () => {
    const out = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    t = await startTestServer(database, { mailer, logger: createLogger('info', out) });
  });
  afterAll(async () => {
    for (const send of held.splice(0)) send.deliver();
    await t.close();
  });

  const register = async (email: string) => {
    const response = await t.request('/api/auth/password/register', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email, password: 'email change password' }),
    });
    return ((await response.json()) as { token: string }).token;
  };
  const askJSON = async (token: string, newEmail: string) => {
    const response = await t.request('/api/auth/email/change', {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${token}` },
      body: JSON.stringify({ newEmail }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const sentTo = (email: string) => held.filter((send) => send.message.to === email);

  it('JSON: a free address is answered while its code is still being sent; a taken one alike, sent nothing', async () => {
    const token = await register(address('mover'));
    const free = address('free');
    const answer = await askJSON(token, free);
    expect(answer).toEqual({
      status: 200,
      body: { sent: true, newEmail: free, dev_code: expect.any(String) },
    });
    expect(sentTo(free)).toHaveLength(1);
    // Answered, and the send is still pending: the test has not settled it.
    const pending = sentTo(free)[0]!;
    const code = /\b(\d{6})\b/.exec(pending.message.text)![1];
    pending.deliver();
    await t.server.idle();
    const done = await t.request('/api/auth/email/change/verify', {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${token}` },
      body: JSON.stringify({ code }),
    });
    expect(done.status).toBe(200);

    const other = await register(address('mover'));
    const taken = address('taken');
    await register(taken);
    const before = held.length;
    const same = await askJSON(other, taken);
    expect(same).toEqual({ status: 200, body: { sent: true, newEmail: taken } });
    expect(held).toHaveLength(before);
    // The same write as for a free address (a code, never sent): the answer does not come
    // sooner for a taken one.
    const written = await t.storage.db
      .selectFrom('one_time_codes')
      .select('email')
      .where('purpose', '=', 'email_change')
      .where('email', '=', taken)
      .execute();
    expect(written).toHaveLength(1);
  });

  it('hosted /account/email: the code form is shown while the send is pending, for a free and a taken address', async () => {
    /** Signs in on the hosted page with an emailed code, as a person does. */
    const signIn = async (email: string) => {
      const b = pageBrowser(t);
      await b.post('/login/code', { email });
      const code = /\b(\d{6})\b/.exec(delivered.at(-1)!.text)![1]!;
      expect((await b.post('/login/verify', { email, code, return_to: '/account' })).status).toBe(303);
      return b;
    };
    const taken = address('taken');
    await register(taken);
    for (const [newEmail, mails] of [
      [address('free'), 1],
      [taken, 0],
    ] as const) {
      const b = await signIn(address('page'));
      const page = await (await b.get('/account')).text();
      const answer = await b.post('/account/email', { csrf: csrfOf(page), email: newEmail });
      expect(answer.status).toBe(200);
      expect(await answer.text()).toContain(newEmail);
      expect(sentTo(newEmail)).toHaveLength(mails);
    }
    for (const send of held.splice(0)) send.deliver();
  });

  it('a send that fails after the answer is logged without address or code, and withdraws the code', async () => {
    const token = await register(address('mover'));
    const free = address('unlucky');
    expect((await askJSON(token, free)).status).toBe(200);
    const send = sentTo(free)[0]!;
    const code = /\b(\d{6})\b/.exec(send.message.text)![1]!;
    held.splice(held.indexOf(send), 1);
    send.fail(new MailDeliveryError('smtp', 'rejected', { status: 550 }));
    await t.server.idle();
    const line = logLines.find((l) => l.msg === 'email_change code send failed');
    expect(line).toMatchObject({
      level: 50,
      reason: 'smtp: email delivery rejected by the mail server (reply 550)',
    });
    expect(JSON.stringify(line)).not.toContain(free);
    expect(JSON.stringify(line)).not.toContain(code);
    const verify = await t.request('/api/auth/email/change/verify', {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${token}` },
      body: JSON.stringify({ code }),
    });
    expect(verify.status).toBe(401);
  });
});
