import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  ADMIN,
  authorizeRequest,
  BASE,
  call,
  codeFor,
  codeRequest,
  exchangeCode,
  RESOURCE,
  redirectParams,
  registerApp,
  registerClient,
  signInBrowser,
} from './support.js';

// RFC 6749 §10.5, RFC 9700 §4.14: a code must not outlive the grant behind it. A code issued
// before the person revoked the consent, or reset their password, is refused afterwards; else it
// would start a refresh token family under a consent no one can see or revoke.
describe.each(testDatabases)('a code issued before a revocation, on $kind', (database) => {
  let t: TestServer;
  let clientId: string;
  const request = () => codeRequest(clientId, { resource: RESOURCE, scope: 'openid email' });
  const exchange = (code: string, verifier: string) => exchangeCode(t, clientId, { code, verifier });
  /** A person who allowed the client once. */
  const allowed = async (email: string) => {
    const person = await signInBrowser(t, email);
    const { params, verifier } = request();
    const code = await codeFor(t, person.jar, params);
    expect((await exchange(code, verifier)).status).toBe(200);
    return person;
  };
  /** A code issued without a page, by the remembered consent, and not exchanged yet. */
  const silentCode = async (person: Awaited<ReturnType<typeof allowed>>) => {
    const { params, verifier } = request();
    const code = redirectParams(await authorizeRequest(t, person.jar, params)).get('code')!;
    expect(code).toMatch(/^pyoc_/);
    return { code, verifier };
  };

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    await registerApp(t, 'notes', RESOURCE);
    clientId = (await registerClient(t)).client_id;
  });
  afterAll(() => t.close());

  it('revoking the consent discards its codes: the code is invalid_grant, no refresh token', async () => {
    const person = await allowed(`revoke-${database.kind}@example.com`);
    const { code, verifier } = await silentCode(person);
    const listed = await call(t, 'GET', `${BASE}/oauth/consents`, { token: person.token });
    const id = (listed.body.consents as Array<{ id: string }>)[0]!.id;
    expect((await call(t, 'DELETE', `${BASE}/oauth/consents/${id}`, { token: person.token })).status).toBe(
      200,
    );

    const late = await exchange(code, verifier);
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('invalid_grant');
    expect(late.body.refresh_token).toBeUndefined();
    expect((await call(t, 'GET', `${BASE}/oauth/consents`, { token: person.token })).body.consents).toEqual(
      [],
    );
  });

  it('a password reset discards the person’s codes', async () => {
    const person = await allowed(`reset-code-${database.kind}@example.com`);
    t.clock.advance(61_000); // the reset email's per-address throttle
    const { code, verifier } = await silentCode(person);
    await call(t, 'POST', '/api/auth/password/reset/request', { body: { email: person.email }, token: null });
    const link = /\n\s+(\S{20,})\n/.exec(t.mail.at(-1)!.text)![1]!;
    const resetToken = link.includes('token=') ? new URL(link).searchParams.get('token')! : link;
    const reset = await call(t, 'POST', '/api/auth/password/reset/complete', {
      body: { token: resetToken, newPassword: 'a brand new passphrase' },
      token: null,
    });
    expect(reset.status).toBe(200);

    const late = await exchange(code, verifier);
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('invalid_grant');
  });
});
