import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from '../../src/features/identity/user-store.js';
import { CookieJar } from '../support/cookie-jar.js';
import { testDatabases } from '../support/databases.js';
import type { GitHubUser, TestGitHub } from '../support/peers/github-api.js';
import type { TestIdP } from '../support/peers/oidc-idp.js';
import type { TestServer } from '../support/server.js';
import { GOOGLE_CALLBACK, type SocialServer, startSocialServer } from './social.js';

const ADMIN = 'admin-token-for-linked-takeover-tests-0123456789';
const SESSION = 'pylon_session';
type Body = Record<string, unknown> & { error?: { code: string } };

/**
 * Account pre-hijacking through a linked social identity: an attacker registers the victim's
 * address with a password, links their own GitHub identity, and waits for the victim to prove the
 * address. A link is a way in like a password: it is refused while the address is unproven, and
 * one made while it was (a link from before that rule) is dropped by the first proof.
 */
describe.each(testDatabases)('linked identities and account pre-hijacking on $kind', (database) => {
  let social: SocialServer;
  let idp: TestIdP;
  let github: TestGitHub;
  let t: TestServer;
  let n = 0;
  let githubIds = 9000;

  const call = async (path: string, jar: CookieJar, init?: RequestInit) => {
    const response = await t.request(`/api/auth${path}`, jar.apply(init));
    jar.store(response);
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Body };
  };
  const json = (body: unknown): RequestInit => ({
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  const users = () => new UserStore(t.storage.db, t.server.services.random);

  /** The attacker registers the victim's address with a password, in a browser of their own. */
  const squat = async () => {
    const email = `victim${++n}-${database.kind}@example.com`;
    const jar = new CookieJar();
    const registered = await call('/password/register', jar, json({ email, password: 'attacker password!' }));
    expect(registered.status).toBe(200);
    expect(jar.get(SESSION)).toBeDefined();
    return { email, jar, userId: registered.body.user_id as string, token: registered.body.token as string };
  };
  /** The attacker's own GitHub identity, linked to the squatted account before the address was proven. */
  const plantGitHubLink = async (userId: string): Promise<GitHubUser> => {
    const id = ++githubIds;
    await users().linkIdentity(t.storage.db, {
      provider: 'github',
      subject: String(id),
      userId,
      email: null,
      now: t.clock.now(),
    });
    return { id, login: `attacker${id}`, emails: [] };
  };
  /** "Continue with GitHub" in a fresh browser: the account it lands in. */
  const gitHubSignIn = async (user: GitHubUser) => {
    const browser = new CookieJar();
    const started = await call('/login/github', browser);
    const code = github.approve(user, started.body.redirect as string);
    const signedIn = await call(`/callback/github?code=${code}&state=${started.body.state}`, browser);
    expect(signedIn.status).toBe(200);
    return signedIn.body.user_id as string;
  };
  const googleSignIn = async (login: string) => {
    const browser = new CookieJar();
    const started = await call('/login/google', browser);
    const callback = await idp.authorize(started.body.redirect as string, login, GOOGLE_CALLBACK);
    const signedIn = await call(`/callback/google${callback.search}`, browser);
    expect(signedIn.status).toBe(200);
    return signedIn.body.user_id as string;
  };
  const proofOf = async (userId: string) => {
    const audit = await call('/audit/deployment?action=user.email_verified&limit=1000', new CookieJar(), {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const entries = audit.body.entries as Array<{ target?: string; detail?: unknown }>;
    return entries.find((entry) => entry.target === userId)?.detail;
  };

  beforeAll(async () => {
    social = await startSocialServer(database, { PYLON_ADMIN_TOKEN: ADMIN });
    ({ t, idp, github } = social);
  });
  afterAll(() => social?.close());

  it('an account whose address is unproven may not link: EMAIL_NOT_VERIFIED, and the page says why', async () => {
    const attacker = await squat();
    const refused = await call('/login/github?link=1', attacker.jar);
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'EMAIL_NOT_VERIFIED' } } });
    expect(attacker.jar.get('pylon_oauth_flow')).toBeUndefined();

    const page = await t.request('/account/linked', attacker.jar.apply({ headers: { accept: 'text/html' } }));
    const text = (await page.text()).replace(/<[^>]*>/g, '');
    expect(text).toContain('To link another account, first verify your email address.');
    expect(text).not.toContain('Link GitHub');

    // Proven from the account's own session, the address no longer stands in the way.
    const sent = await call('/email/send-verification', new CookieJar(), {
      method: 'POST',
      headers: { authorization: `Bearer ${attacker.token}` },
    });
    await call('/email/verify', new CookieJar(), {
      ...json({ code: sent.body.dev_code }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${attacker.token}` },
    });
    expect((await call('/login/github?link=1', attacker.jar)).status).toBe(200);
  });

  it('a magic code proves the address: a GitHub identity linked before it no longer signs in', async () => {
    const attacker = await squat();
    const planted = await plantGitHubLink(attacker.userId);

    t.clock.advance(61_000);
    const sent = await call('/magic/send', new CookieJar(), json({ email: attacker.email }));
    const victim = await call(
      '/magic/verify',
      new CookieJar(),
      json({ email: attacker.email, code: sent.body.dev_code }),
    );
    expect(victim.body.user_id).toBe(attacker.userId);

    expect(await users().listIdentities(attacker.userId)).toEqual([]);
    // The attacker's GitHub identity now starts an account of its own, not the victim's.
    expect(await gitHubSignIn(planted)).not.toBe(attacker.userId);
    expect(await proofOf(attacker.userId)).toEqual({
      method: 'magic_code',
      revoked_sessions: 1,
      dropped_credentials: ['password', 'linked_identities'],
    });
  });

  it('a Google first proof keeps the Google link and drops the GitHub link made before it', async () => {
    const attacker = await squat();
    const planted = await plantGitHubLink(attacker.userId);
    const login = `victim-google-${n}`;
    idp.accounts.set(login, { email: attacker.email, email_verified: true });

    // The victim's Google identity, vouching for the address, lands in the account and proves it.
    expect(await googleSignIn(login)).toBe(attacker.userId);
    expect(await users().listIdentities(attacker.userId)).toEqual([
      expect.objectContaining({ provider: 'google', subject: login, email: attacker.email }),
    ]);
    expect(await proofOf(attacker.userId)).toEqual({
      method: 'oauth_google',
      revoked_sessions: 1,
      dropped_credentials: ['password', 'linked_identities'],
    });
    expect((await call('/me', attacker.jar)).body.userId).toBeNull();

    expect(await gitHubSignIn(planted)).not.toBe(attacker.userId);
    expect(await googleSignIn(login)).toBe(attacker.userId);
  });

  it('a later proof, and a proof from the account’s own session, keep the links', async () => {
    const owner = await squat();
    const linked = await plantGitHubLink(owner.userId);
    const sent = await call('/email/send-verification', new CookieJar(), {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}` },
    });
    const verified = await call('/email/verify', new CookieJar(), {
      ...json({ code: sent.body.dev_code }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
    });
    expect(verified.status).toBe(200);
    t.clock.advance(61_000);
    const again = await call('/magic/send', new CookieJar(), json({ email: owner.email }));
    await call('/magic/verify', new CookieJar(), json({ email: owner.email, code: again.body.dev_code }));
    expect(await gitHubSignIn(linked)).toBe(owner.userId);
  });
});
