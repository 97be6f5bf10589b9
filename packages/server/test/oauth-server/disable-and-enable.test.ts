import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENT_AUDIT, queryAudit } from '../../src/audit/audit-log.js';
import type { CookieJar } from '../support/cookie-jar.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  ADMIN,
  BASE,
  call,
  codeFor,
  codeRequest,
  exchangeCode,
  registerClient,
  signInBrowser,
  tokenRequest,
} from './support.js';

// An admin disables a possibly compromised account: nothing issued before comes back when it is
// enabled again — not its refresh tokens (deleted), not an access token still within its lifetime
// (refused by its iat), not an authorization code not yet exchanged.
describe.each(testDatabases)('OAuth after disabling and enabling a person on $kind', (database) => {
  let t: TestServer;
  let clientId: string;
  const codeOf = async (jar: CookieJar) => {
    const { params, verifier } = codeRequest(clientId, { scope: 'openid email offline_access' });
    return { code: await codeFor(t, jar, params), verifier };
  };
  const exchange = (grant: { code: string; verifier: string }) => exchangeCode(t, clientId, grant);
  const userinfo = (access: string) =>
    t.request(`${BASE}/oauth/userinfo`, { headers: { authorization: `Bearer ${access}` } });
  const setDisabled = (userId: string, verb: 'disable' | 'enable') =>
    call(t, 'POST', `/api/auth/users/${userId}/${verb}`);

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    clientId = (await registerClient(t)).client_id;
  });
  afterAll(() => t.close());

  it('refresh tokens, access tokens and unexchanged codes from before a disable stay dead after the enable', async () => {
    const person = await signInBrowser(t, `disabled-oauth-${database.kind}@example.com`);
    const issued = await exchange(await codeOf(person.jar));
    expect(issued.status).toBe(200);
    const access = issued.body.access_token as string;
    const refreshToken = issued.body.refresh_token as string;
    expect((await userinfo(access)).status).toBe(200);
    const pending = await codeOf(person.jar);

    t.clock.advance(1_000);
    const disabled = await setDisabled(person.userId, 'disable');
    expect(disabled.body).toEqual({ user_id: person.userId, disabled: true, revoked_count: 1 });
    t.clock.advance(1_000);
    expect((await setDisabled(person.userId, 'enable')).status).toBe(200);

    // Still within the access token's five minutes, and the code's lifetime.
    const refused = await userinfo(access);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('invalid_token');
    const refreshed = await tokenRequest(t, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: clientId,
    });
    expect(refreshed.body.error).toBe('invalid_grant');
    // The disable discarded the code; were it still stored, its grant's sign-in time (before the
    // disable) would refuse it too — that rule's boundary: test/identity/disable-cutoff.test.ts.
    expect((await exchange(pending)).body.error).toBe('invalid_grant');

    const entry = (
      await queryAudit(t.storage.db, { org: DEPLOYMENT_AUDIT, action: 'user.disabled', limit: 100 })
    ).entries.find((e) => e.target === person.userId);
    expect(entry?.detail).toMatchObject({
      revoked_sessions: 1,
      revoked_refresh_tokens: 1,
      revoked_api_keys: 0,
    });

    // Signing in again after the enable gives tokens that work.
    t.clock.advance(1_000);
    const again = await signInBrowser(t, person.email);
    const fresh = await exchange(await codeOf(again.jar));
    expect(fresh.status).toBe(200);
    expect((await userinfo(fresh.body.access_token as string)).status).toBe(200);
  });
});
