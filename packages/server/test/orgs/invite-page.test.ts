import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { testDatabases } from '../support/databases.js';
import { csrfOf, PAGE_ORIGIN, pageBrowser, visibleText } from '../support/page-browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ADMIN = 'admin-token-for-invite-page-tests-0123456789';

type Body = Record<string, unknown> & { error?: { code: string } };

describe.each(testDatabases)('the hosted invite page on $kind', (database) => {
  let t: TestServer;
  const logLines: string[] = [];
  let n = 0;

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const response = await t.request(`/api/auth${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };

  const browser = () => pageBrowser(t);

  const verifiedPerson = async (name = `p${++n}`) => {
    const email = `${name}-${database.kind}@example.com`;
    const sent = await call('POST', '/magic/send', undefined, { email });
    const verified = await call('POST', '/magic/verify', undefined, { email, code: sent.body.dev_code });
    return { email, token: verified.body.token as string, userId: verified.body.user_id as string };
  };

  /** An org (named for the test) and an invite to `email`: the answer's link and the emailed one. */
  const invited = async (email: string, role = 'admin') => {
    const owner = await verifiedPerson();
    const org = await call('POST', '/orgs', owner.token, { name: `Acme ${++n}` });
    const invite = await call('POST', `/orgs/${org.body.id}/invites`, owner.token, { email, role });
    expect(invite.status).toBe(201);
    const mail = t.mail.at(-1)!;
    expect(mail.to).toBe(email);
    const emailed = /(http:\/\/localhost:4000\/invite\/\S+)/.exec(mail.text)![1]!;
    return {
      orgId: org.body.id as string,
      orgName: org.body.name as string,
      owner,
      token: invite.body.token as string,
      answerLink: new URL(invite.body.accept_url as string).pathname,
      emailedLink: new URL(emailed).pathname,
    };
  };

  beforeAll(async () => {
    t = await startTestServer(database, {
      env: { PYLON_ADMIN_TOKEN: ADMIN },
      logger: createLogger('info', { write: (line: string) => void logLines.push(line) }),
    });
  });
  afterAll(() => t.close());

  it('the emailed link opens an HTML page naming the org and role, with a way to sign in', async () => {
    const email = `newcomer-${database.kind}@example.com`;
    const invite = await invited(email);
    expect(invite.emailedLink).toMatch(/^\/invite\/pyinv_[A-Za-z0-9_-]{43}\.[0-9a-f]{32}$/);
    const response = await browser().get(invite.emailedLink);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await response.text();
    const text = visibleText(page);
    expect(text).toContain(invite.orgName);
    expect(text).toContain('admin');
    expect(text).toContain(email);
    expect(page).not.toContain('<script');
    expect(text).not.toContain(invite.token);
    expect(page).toContain(`<input type="hidden" name="return_to" value="${invite.emailedLink}">`);
    expect(page).toContain('<form method="get" action="/login">');
  });

  it('sign up with a password, sign in on the hosted page, accept: a member with a verified address', async () => {
    const email = `pw-${database.kind}@example.com`;
    // The invitee signed up with a password in the app before opening the email: unverified.
    const signUp = await call('POST', '/password/register', undefined, {
      email,
      password: 'correct horse battery',
    });
    expect(signUp.status).toBe(200);
    const invite = await invited(email, 'member');
    const b = browser();

    const login = await b.post('/login/password', {
      email,
      password: 'correct horse battery',
      return_to: invite.emailedLink,
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe(invite.emailedLink);

    const offer = await b.get(invite.emailedLink);
    expect(offer.status).toBe(200);
    const page = await offer.text();
    expect(visibleText(page)).toContain('Accepting also confirms this email address.');
    expect(page).toContain(`<form method="post" action="${invite.emailedLink}/accept">`);

    const accepted = await b.post(`${invite.emailedLink}/accept`, { csrf: csrfOf(page) });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toBe(invite.emailedLink);
    const joined = await b.get(invite.emailedLink);
    expect(joined.status).toBe(200);
    expect(visibleText(await joined.text())).toContain(`You joined ${invite.orgName}`);

    // The accepting session and the password stay (their holder proved the address); the
    // sign-up's other session ends, as with POST /email/verify.
    const me = await t.request('/api/auth/me', b.jar.apply());
    expect(await me.json()).toMatchObject({ email, emailVerified: true });
    expect((await call('GET', '/me', signUp.body.token as string)).body.userId).toBeNull();
    expect(
      (await call('POST', '/password/login', undefined, { email, password: 'correct horse battery' })).status,
    ).toBe(200);
    const members = await call('GET', `/orgs/${invite.orgId}/members`, invite.owner.token);
    expect(members.body).toEqual(
      expect.arrayContaining([expect.objectContaining({ email, role: 'member' })]),
    );
    // Identity events belong to the deployment, not the org: its admins read them.
    const audit = await t.request('/api/auth/audit/deployment?action=user.email_verified&limit=1000', {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const { entries } = (await audit.json()) as { entries: Array<{ detail?: { method?: string } }> };
    const proofs = entries.filter((e) => e.detail?.method === 'invite');
    expect(proofs.map((e) => e.detail)).toEqual([
      { method: 'invite', revoked_sessions: 1, dropped_credentials: [] },
    ]);
  });

  it('only the emailed link proves the address: the inviter’s copy needs a verified account', async () => {
    const email = `bare-${database.kind}@example.com`;
    const signUp = await call('POST', '/password/register', undefined, {
      email,
      password: 'squatter password',
    });
    const invite = await invited(email, 'member');
    const session = signUp.body.token as string;
    const b = browser();
    b.jar.set('pylon_session', session);

    const bare = await b.get(invite.answerLink);
    expect(bare.status).toBe(403);
    const page = await bare.text();
    expect(visibleText(page)).toContain('is not verified yet');
    expect(page).not.toContain('/accept"');
    expect(
      (await call('POST', `/invites/${invite.token}/accept`, session)).body.error?.code,
      'the JSON route with the bare token',
    ).toBe('EMAIL_NOT_VERIFIED');
    const forged = `${invite.emailedLink.slice('/invite/'.length, -1)}${invite.emailedLink.endsWith('0') ? '1' : '0'}`;
    expect((await call('POST', `/invites/${forged}/accept`, session)).body.error?.code).toBe(
      'INVITE_NOT_FOUND',
    );
    expect((await b.get(`/invite/${forged}`)).status).toBe(404);

    // The JSON route holding the emailed link counts as proof too, the same way.
    const segment = invite.emailedLink.slice('/invite/'.length);
    const joined = await call('POST', `/invites/${segment}/accept`, session);
    expect(joined.body).toEqual({ org_id: invite.orgId, role: 'member' });
    expect((await call('GET', '/me', session)).body).toMatchObject({ email, emailVerified: true });
  });

  it('another account sees which address the invite is for, cannot accept, and can sign out', async () => {
    const invitee = `right-${database.kind}@example.com`;
    const invite = await invited(invitee);
    const other = await verifiedPerson('wrong');
    const b = browser();
    b.jar.set('pylon_session', other.token);

    const refused = await b.get(invite.emailedLink);
    expect(refused.status).toBe(403);
    const page = await refused.text();
    const text = visibleText(page);
    expect(text).toContain(`sent to ${invitee}`);
    expect(text).toContain(`signed in as ${other.email}`);
    expect(page).toContain(`<form method="post" action="${invite.emailedLink}/sign-out">`);

    // Posting the accept anyway (with a valid page token) changes nothing.
    const forced = await b.post(`${invite.emailedLink}/accept`, { csrf: csrfOf(page) });
    expect(forced.status).toBe(403);
    const explained = await forced.text();
    expect(visibleText(explained)).toContain(`sent to ${invitee}`);
    expect(
      (await call('GET', `/orgs/${invite.orgId}/members`, invite.owner.token)).body as unknown as Array<{
        email: string;
      }>,
    ).not.toEqual(expect.arrayContaining([expect.objectContaining({ email: other.email })]));
    expect((await call('POST', `/invites/${invite.token}/accept`, other.token)).body.error?.code).toBe(
      'WRONG_EMAIL',
    );

    const signedOut = await b.post(`${invite.emailedLink}/sign-out`, { csrf: csrfOf(explained) });
    expect(signedOut.status).toBe(303);
    expect(b.jar.get('pylon_session')).toBeUndefined();
    expect((await call('GET', '/me', other.token)).body.userId).toBeNull();
    expect(visibleText(await (await b.get(invite.emailedLink)).text())).toContain('Sign in as that address');
  });

  it('expired, used, withdrawn, unknown and altered links render a page, not JSON', async () => {
    const email = `states-${database.kind}@example.com`;
    const used = await invited(email, 'member');
    const person = await verifiedPerson('states');
    expect((await call('POST', `/invites/${used.token}/accept`, undefined)).status).toBe(401);
    const fresh = await invited(person.email, 'member');
    expect((await call('POST', `/invites/${fresh.token}/accept`, person.token)).status).toBe(200);
    const withdrawn = await invited(`gone-${database.kind}@example.com`);
    const pending = await call('GET', `/orgs/${withdrawn.orgId}/invites`, withdrawn.owner.token);
    const inviteId = (pending.body as unknown as Array<{ id: string }>)[0]!.id;
    await call('DELETE', `/orgs/${withdrawn.orgId}/invites/${inviteId}`, withdrawn.owner.token);
    const late = await invited(`late-${database.kind}@example.com`);

    const expectPage = async (link: string, status: number, heading: string) => {
      const response = await browser().get(link);
      expect(response.status, link).toBe(status);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(await response.text()).toContain(`<h1>${heading}</h1>`);
    };
    await expectPage(fresh.emailedLink, 409, 'Invitation already used');
    await expectPage(withdrawn.emailedLink, 404, 'Invitation not found');
    await expectPage('/invite/pyinv_no-such-invite', 404, 'Invitation not found');
    await expectPage(`${late.emailedLink.slice(0, -4)}beef`, 404, 'Invitation not found');
    t.clock.advance(7 * 24 * 3600 * 1000);
    await expectPage(late.emailedLink, 410, 'Invitation expired');
    t.clock.advance(-7 * 24 * 3600 * 1000);
  });

  it('refuses an accept without the page’s CSRF token or from another site', async () => {
    const person = await verifiedPerson('csrf');
    const invite = await invited(person.email, 'member');
    const b = browser();
    b.jar.set('pylon_session', person.token);
    const csrf = csrfOf(await (await b.get(invite.emailedLink)).text());
    expect(csrf).not.toBe('');

    for (const [form, origin] of [
      [{}, PAGE_ORIGIN],
      [{ csrf: 'not-the-token' }, PAGE_ORIGIN],
      [{ csrf }, 'https://evil.example'],
    ] as const) {
      const refused = await b.post(`${invite.emailedLink}/accept`, form, origin);
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toContain('text/html');
      expect(await refused.text()).toContain('<h1>Refused</h1>');
    }
    const members = (await call('GET', `/orgs/${invite.orgId}/members`, invite.owner.token))
      .body as unknown as Array<{ email: string }>;
    expect(members.map((m) => m.email)).not.toContain(person.email);
    expect((await b.post(`${invite.emailedLink}/accept`, { csrf })).status).toBe(303);
  });

  it('a link emailed before the page existed (a GET of the API path) leads to the page', async () => {
    const invite = await invited(`old-${database.kind}@example.com`);
    const response = await t.request(`/api/auth/invites/${invite.token}/accept`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/invite/${invite.token}`);
  });

  it('never writes an invite token to the log', async () => {
    const invite = await invited(`logged-${database.kind}@example.com`);
    const before = logLines.length;
    const b = browser();
    await b.get(invite.emailedLink);
    await b.get(`/login?return_to=${encodeURIComponent(invite.emailedLink)}`);
    await b.post(`${invite.emailedLink}/accept`, {});
    await t.request(`/api/auth/invites/${invite.token}/accept`, { method: 'POST' });
    await t.request(`/o/${invite.orgId}/invite/${invite.token}`);
    const lines = logLines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line.method, line.path, line.query])).toEqual([
      ['GET', '/invite/[redacted]', undefined],
      ['GET', '/login', '?return_to=/invite/[redacted]'],
      ['POST', '/invite/[redacted]/accept', undefined],
      ['POST', '/api/auth/invites/[redacted]/accept', undefined],
      ['GET', `/o/${invite.orgId}/invite/[redacted]`, undefined],
    ]);
    const segment = invite.emailedLink.slice('/invite/'.length);
    const everything = logLines.join('\n');
    expect(everything).not.toContain(invite.token.slice('pyinv_'.length));
    expect(everything).not.toContain(segment.split('.')[1]);
  });
});
