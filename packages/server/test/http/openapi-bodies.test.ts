import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

interface JSONSchema {
  type?: string;
  properties?: Record<string, JSONSchema>;
  required?: string[];
  maxLength?: number;
}
interface Operation {
  requestBody?: { content: Record<string, { schema: JSONSchema }> };
  responses: Record<string, { content?: Record<string, { schema: JSONSchema }> }>;
}
type Document = { paths: Record<string, Record<string, Operation>> };

// The route table's bodies come from @pylon/core's wire schemas, so the document shows the fields a
// client sends, including those the server checks by hand for their own error codes.
describe.each(testDatabases)('OpenAPI request and response bodies on $kind', (database) => {
  let t: TestServer;
  let document: Document;
  beforeAll(async () => {
    t = await startTestServer(database);
    document = (await (await t.request('/openapi.json')).json()) as Document;
  });
  afterAll(() => t.close());

  const requestSchema = (method: string, path: string): JSONSchema => {
    const body = document.paths[path]?.[method]?.requestBody;
    expect(body, `${method} ${path} has a request body`).toBeDefined();
    return body!.content['application/json']!.schema;
  };

  it('POST /api/auth/magic/send and /magic/verify list email and code as required strings', () => {
    const send = requestSchema('post', '/api/auth/magic/send');
    expect(send.properties?.['email']).toEqual({ type: 'string' });
    expect(send.required).toEqual(['email']);
    const verify = requestSchema('post', '/api/auth/magic/verify');
    expect(Object.keys(verify.properties ?? {}).sort()).toEqual(['code', 'email']);
    expect(verify.required?.sort()).toEqual(['code', 'email']);
  });

  it('POST /api/auth/password/register keeps its optional displayName limit beside the hand-checked fields', () => {
    const register = requestSchema('post', '/api/auth/password/register');
    expect(register.properties?.['password']).toEqual({ type: 'string' });
    expect(register.properties?.['displayName']).toMatchObject({ type: 'string', maxLength: 200 });
    expect(register.required?.sort()).toEqual(['email', 'password']);
  });

  it('POST /token lists app_id, at the root and under an org base', () => {
    for (const path of ['/token', '/o/{orgId}/token']) {
      const token = requestSchema('post', path);
      expect(token.properties?.['app_id']).toEqual({ type: 'string' });
      expect(token.required).toEqual(['app_id']);
    }
  });

  it('POST /roles lists its real properties', () => {
    const roles = requestSchema('post', '/roles');
    expect(Object.keys(roles.properties ?? {}).sort()).toEqual([
      'app_id',
      'archetype',
      'capabilities',
      'email',
    ]);
    expect(roles.required?.sort()).toEqual(['app_id', 'archetype', 'email']);
    expect(roles.properties?.['capabilities']?.type).toBe('array');
  });

  it('responses that had no schema now describe theirs (API keys, TOTP)', () => {
    const keys =
      document.paths['/api/auth/api-keys']?.['get']?.responses['200']?.content?.['application/json'];
    expect(keys?.schema.type).toBe('array');
    const created =
      document.paths['/api/auth/api-keys']?.['post']?.responses['201']?.content?.['application/json'];
    expect(created?.schema.required).toContain('key');
    const challenge =
      document.paths['/api/auth/totp/challenge']?.['post']?.responses['200']?.content?.['application/json'];
    expect(Object.keys(challenge?.schema.properties ?? {}).sort()).toEqual([
      'expires_at',
      'token',
      'user_id',
    ]);
  });

  it('a hand-checked field still answers its own code, not VALIDATION_FAILED', async () => {
    const missing = await t.request('/api/auth/magic/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('MISSING_EMAIL');
    const malformed = await t.request('/api/auth/magic/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'not-an-address' }),
    });
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('INVALID_EMAIL');
  });
});
