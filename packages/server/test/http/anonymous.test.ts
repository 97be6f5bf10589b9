import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Operation = { security?: Record<string, unknown>[]; requestBody?: unknown };
const codeOf = (body: { error: string | { code: string } }) =>
  typeof body.error === 'string' ? body.error : body.error.code;

/**
 * A route that needs a caller refuses a request carrying no credential at all with its surface's
 * 401 before it reads the body or query: a signed-out caller is told to sign in, not what was
 * wrong with what it sent.
 */
describe.each(testDatabases)('requests without any credential ($kind)', (database) => {
  let t: TestServer;
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    t.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_BODY_LIMIT: '2048' } });
  });
  afterAll(() => t.close());

  it.each([
    ['/token', 'no_session'],
    ['/o/default/token', 'no_session'],
    ['/roles', 'no_session'],
    ['/apps', 'no_session'],
    ['/apps/notes/schema/approve-migration', 'no_session'],
    ['/device/complete', 'no_session'],
    ['/api/auth/password/change', 'UNAUTHORIZED'],
    ['/api/auth/orgs', 'UNAUTHORIZED'],
    ['/api/auth/api-keys', 'UNAUTHORIZED'],
    ['/api/auth/select-org', 'UNAUTHORIZED'],
  ])('POST %s is 401 %s whatever the body', async (path, code) => {
    for (const [body, type] of [
      ['{}', 'application/json'],
      ['{"app_id":', 'application/json'],
      ['<xml/>', 'text/xml'],
      [`{"x":"${'a'.repeat(4000)}"}`, 'application/json'],
    ] as const) {
      const response = await post(path, body, { 'content-type': type });
      expect([response.status, codeOf(await response.json())], `${body.slice(0, 12)} as ${type}`).toEqual([
        401,
        code,
      ]);
    }
  });

  it('GET with a malformed query is 401 too; an unknown org is still 404 first', async () => {
    const roles = await t.request('/roles?app_id=NOT%20A%20SLUG&x=1');
    expect([roles.status, codeOf(await roles.json())]).toEqual([401, 'no_session']);
    const audit = await t.request('/api/auth/audit/deployment?limit=0');
    expect([audit.status, codeOf(await audit.json())]).toEqual([401, 'UNAUTHORIZED']);
    const nowhere = await post('/o/nope/token', '{}');
    expect([nowhere.status, codeOf(await nowhere.json())]).toEqual([404, 'org_not_found']);
  });

  it('every route that needs a caller answers 401 to none, before reading a body', async () => {
    const document = (await (await t.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    const refusals = new Set([
      'no_session',
      'app_token_invalid',
      'UNAUTHORIZED',
      'AUTH_REQUIRED',
      'SESSION_EXPIRED',
    ]);
    let checked = 0;
    for (const [template, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (!operation.security || operation.security.some((entry) => Object.keys(entry).length === 0))
          continue;
        const path = template.replace('{orgId}', 'default').replace(/\{[^}]+\}/g, 'x1');
        const response = await t.request(path, {
          method: method.toUpperCase(),
          ...(operation.requestBody ? { headers: { 'content-type': 'application/json' }, body: '{' } : {}),
        });
        const body = (await response.json()) as { error: string | { code: string } };
        expect([response.status, refusals.has(codeOf(body))], `${method} ${path}`).toEqual([401, true]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('a request that carries a credential, valid or not, is read as before', async () => {
    const unknown = { authorization: `Bearer pylon_${'0'.repeat(64)}` };
    const token = await post('/token', '{}', unknown);
    expect([token.status, codeOf(await token.json())]).toEqual([400, 'invalid_app_id']);
    const viaCookie = await post('/api/auth/select-org', '{}', {
      cookie: `pylon_session=pylon_${'0'.repeat(64)}`,
    });
    expect([viaCookie.status, codeOf(await viaCookie.json())]).toEqual([400, 'VALIDATION_FAILED']);
    // An API key in the URL is a credential too: refused as one, saying where keys go.
    const inURL = await post('/api/auth/orgs?key=pk.key_x.y', '{"name":"Keyed"}');
    expect([inURL.status, codeOf(await inURL.json())]).toEqual([401, 'INVALID_API_KEY']);
    // The app token is the credential of a schema push.
    const push = await post('/apps/notes/schema', '{', { 'x-pylon-app-token': 'pyat_wrong' });
    expect([push.status, codeOf(await push.json())]).toEqual([400, 'bad_request']);
    const noToken = await post('/apps/notes/schema', '{');
    expect([noToken.status, codeOf(await noToken.json())]).toEqual([401, 'app_token_invalid']);
  });

  it('routes that serve signed-out callers still do, and say so in the OpenAPI document', async () => {
    expect((await t.request('/api/auth/me')).status).toBe(200);
    const challenge = await post(
      '/api/auth/totp/verify',
      JSON.stringify({ mfa_token: 'nope', code: '123456' }),
    );
    expect(codeOf(await challenge.json())).toBe('INVALID_MFA_TOKEN');
    const document = (await (await t.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    expect(document.paths['/api/auth/me']!.get!.security).toContainEqual({});
    expect(document.paths['/token']!.post!.security).not.toContainEqual({});
  });
});
