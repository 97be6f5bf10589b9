import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshedScope } from '../../src/features/oauth-server/scopes.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  ADMIN,
  codeFor,
  decodePayload,
  grant,
  OTHER_RESOURCE,
  pkce,
  REDIRECT,
  RESOURCE,
  registerApp,
  registerClient,
  signInBrowser,
  tokenRequest,
} from './support.js';

describe('refreshedScope (RFC 6749 §6)', () => {
  it('is the grant’s scope when none is asked for, the asked values when the grant holds them all', () => {
    expect(refreshedScope('openid email', undefined)).toBe('openid email');
    expect(refreshedScope('openid email', '')).toBe('openid email');
    expect(refreshedScope('openid email', 'email')).toBe('email');
    expect(refreshedScope('openid email', 'email openid')).toBe('openid email');
    expect(refreshedScope('openid email', 'openid  openid')).toBe('openid');
  });

  it('is null when a value is not granted', () => {
    expect(refreshedScope('openid', 'openid email profile')).toBeNull();
    expect(refreshedScope('openid', 'offline_access')).toBeNull();
    expect(refreshedScope('', 'openid')).toBeNull();
  });
});

/**
 * RFC 6749 §6: a refresh request's `scope` "MUST NOT include any scope not originally granted"
 * (`invalid_scope`, §5.2); a narrower one is the new access token's. A refused refresh leaves the
 * refresh token as usable as it was: it is checked before the token is spent.
 */
describe.each(testDatabases)('the scope of a refresh on $kind', (database) => {
  let t: TestServer;
  let person: Awaited<ReturnType<typeof signInBrowser>>;
  let clientId: string;

  const tokensFor = async (scope: string, resource?: string) => {
    const { verifier, challenge } = pkce();
    const params = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 's',
      scope,
      ...(resource === undefined ? {} : { resource }),
    };
    const code = await codeFor(t, person.jar, params);
    const answer = await tokenRequest(t, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: clientId,
    });
    expect(answer.status).toBe(200);
    return answer.body as { refresh_token: string; scope: string };
  };
  const refresh = (token: string, extra: Record<string, string> = {}) =>
    tokenRequest(t, { grant_type: 'refresh_token', refresh_token: token, client_id: clientId, ...extra });

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    await registerApp(t, 'notes', RESOURCE);
    await registerApp(t, 'calendar', OTHER_RESOURCE);
    person = await signInBrowser(t, 'refresher@example.com');
    await grant(t, person.email, 'notes', 'reader');
    clientId = (await registerClient(t)).client_id;
  });
  afterAll(() => t.close());

  it('refuses a wider scope with invalid_scope, and the token still refreshes after', async () => {
    const granted = await tokensFor('openid');
    for (const scope of ['openid email profile', 'email', 'offline_access']) {
      const wider = await refresh(granted.refresh_token, { scope });
      expect(wider.status, scope).toBe(400);
      expect(wider.body.error, scope).toBe('invalid_scope');
    }
    const same = await refresh(granted.refresh_token, { scope: 'openid' });
    expect(same.status).toBe(200);
    expect(same.body.scope).toBe('openid');
  });

  it('gives a narrower scope to the access token, while the refresh token keeps the grant’s', async () => {
    const granted = await tokensFor('openid email');
    const narrower = await refresh(granted.refresh_token, { scope: 'email' });
    expect(narrower.status).toBe(200);
    expect(narrower.body.scope).toBe('email');
    expect(decodePayload(narrower.body.access_token as string).scope).toBe('email');
    const next = await refresh(narrower.body.refresh_token as string);
    expect(next.status).toBe(200);
    expect(next.body.scope).toBe('openid email');
  });

  it('refuses another resource with invalid_target without spending the token', async () => {
    const granted = await tokensFor('openid', RESOURCE);
    const other = await refresh(granted.refresh_token, { resource: OTHER_RESOURCE });
    expect(other.status).toBe(400);
    expect(other.body.error).toBe('invalid_target');
    const again = await refresh(granted.refresh_token, { resource: RESOURCE });
    expect(again.status).toBe(200);
  });
});
