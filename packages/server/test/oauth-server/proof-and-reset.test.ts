import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENT_AUDIT, queryAudit } from '../../src/audit/audit-log.js';
import { CookieJar } from '../support/cookie-jar.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  ADMIN,
  BASE,
  call,
  codeFor,
  codeRequest,
  exchangeCode,
  type Json,
  RESOURCE,
  registerApp,
  registerClient,
  signInBrowser,
  tokenRequest,
} from './support.js';

// A refresh token is standing access, like a session: whoever registered an address before its
// owner proved it keeps none (the first proof), and a password reset — an account's recovery —
// ends them too.
describe.each(testDatabases)('OAuth grants at an address proof and a password reset on $kind', (database) => {
  let t: TestServer;
  let clientId: string;
  /** A refresh token from the authorization code flow, in the browser `jar`. */
  const refreshTokenOf = async (jar: CookieJar) => {
    const { params, verifier } = codeRequest(clientId, {
      resource: RESOURCE,
      scope: 'openid email offline_access',
    });
    const code = await codeFor(t, jar, params);
    const exchanged = await exchangeCode(t, clientId, { code, verifier }, { resource: RESOURCE });
    expect(exchanged.status).toBe(200);
    return exchanged.body.refresh_token as string;
  };
  const refresh = (token: string) =>
    tokenRequest(t, { grant_type: 'refresh_token', refresh_token: token, client_id: clientId });
  const lastAudit = async (action: string, target: string) =>
    (await queryAudit(t.storage.db, { org: DEPLOYMENT_AUDIT, action, limit: 1000 })).entries
      .filter((e) => e.target === target)
      .at(-1);

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    await registerApp(t, 'notes', RESOURCE);
    clientId = (await registerClient(t)).client_id;
  });
  afterAll(() => t.close());

  it("the first proof of an address revokes an earlier holder's refresh tokens and consents", async () => {
    const email = `prehijack-${database.kind}@example.com`;
    // The squatter registers the address with a password (unproven) and connects an app.
    const squatter = new CookieJar();
    const registered = await t.request('/api/auth/password/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'squatter passphrase 1' }),
    });
    expect(registered.status).toBe(200);
    squatter.store(registered);
    const userId = ((await registered.clone().json()) as Json).user_id as string;
    const token = await refreshTokenOf(squatter);
    expect((await refresh(token)).status).toBe(200);
    const rotated = (await refresh(token)).status; // the rotated-away token: refused as reuse
    expect(rotated).toBe(400);

    // A fresh chain, then the owner proves the address with an emailed code.
    const live = await refreshTokenOf(squatter);
    const owner = await signInBrowser(t, email);
    expect(owner.userId).toBe(userId);

    const after = await refresh(live);
    expect(after.status).toBe(400);
    expect(after.body.error).toBe('invalid_grant');
    const consents = await call(t, 'GET', `${BASE}/oauth/consents`, { token: owner.token });
    expect(consents.body.consents).toEqual([]);
    const proof = await lastAudit('user.email_verified', userId);
    expect(proof?.detail).toMatchObject({ dropped_credentials: expect.arrayContaining(['oauth_grants']) });
  });

  it('a later proof changes nothing, and a password reset revokes the refresh tokens, keeping consent', async () => {
    const person = await signInBrowser(t, `reset-${database.kind}@example.com`);
    const token = await refreshTokenOf(person.jar);
    // Signed in again with a code: the address was proven already, nothing is revoked.
    await signInBrowser(t, person.email);
    const kept = await refresh(token);
    expect(kept.status).toBe(200);

    t.clock.advance(61_000);
    await call(t, 'POST', '/api/auth/password/reset/request', { body: { email: person.email }, token: null });
    const link = /\n\s+(\S{20,})\n/.exec(t.mail.at(-1)!.text)![1]!;
    const resetToken = link.includes('token=') ? new URL(link).searchParams.get('token')! : link;
    const reset = await call(t, 'POST', '/api/auth/password/reset/complete', {
      body: { token: resetToken, newPassword: 'a brand new passphrase' },
      token: null,
    });
    expect(reset.status).toBe(200);

    const after = await refresh(kept.body.refresh_token as string);
    expect(after.body.error).toBe('invalid_grant');
    const audit = await lastAudit('password.reset', person.userId);
    expect(audit?.detail).toMatchObject({ revoked_refresh_tokens: 1 });
    // The consent stays: signing in again, the app is not asked about twice.
    const fresh = await signInBrowser(t, person.email);
    const consents = await call(t, 'GET', `${BASE}/oauth/consents`, { token: fresh.token });
    expect(consents.body.consents).toHaveLength(1);
  });
});
