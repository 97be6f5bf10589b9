import { type BareSchema, buildPreparedBody, hashSchemaContent } from '@pylon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { rbacCaller } from './call.js';

const ADMIN = 'admin-token-for-version-tag-tests-0123456789';

const bare = (tag: string): BareSchema => ({
  version_tag: tag,
  capabilities: [{ name: 'x.read' }],
  archetypes: [{ name: 'reader', capabilities: ['x.read'] }],
});

/**
 * A version tag is shown in listings, the console and the audit log: control and bidi characters
 * would make it read as another tag there (or rewrite a terminal line), so a push carrying one is
 * refused — prepared by the CLI (a marker whose hash matches) or sent bare.
 */
describe.each(testDatabases)('a schema version_tag on $kind', (database) => {
  let t: TestServer;
  let appToken: string;
  const call = rbacCaller(() => t);
  const push = (raw: string) => call('POST', '/apps/tags/schema', { appToken, raw });

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    const registered = await call('POST', '/apps', {
      token: ADMIN,
      body: { name: 'tags', owner: 'o@example.com' },
    });
    appToken = registered.body.app_token as string;
  });
  afterAll(() => t.close());

  it('refuses control, bidi and other invisible characters, with the marker or without', async () => {
    for (const tag of [
      '\u202eevil\u0000',
      '1.0\u200b.0',
      '\u2066v1\u2069',
      '1.0\r\n',
      '\uff11.0.0',
      '1.0\u2029',
    ]) {
      const prepared = buildPreparedBody(bare(tag), 'tags');
      const plain = await push(JSON.stringify(prepared));
      expect(plain.status, JSON.stringify(tag)).toBe(400);
      expect(plain.body).toEqual({
        error: 'invalid_schema',
        message:
          'invalid schema: version_tag must not contain control, format or line-breaking characters, and must be in NFKC form',
      });
      const marked = await push(
        JSON.stringify({
          ...prepared,
          _prepared: {
            cli_version: '0.3.1',
            source_sha256: '0'.repeat(64),
            content_sha256: hashSchemaContent(prepared),
          },
        }),
      );
      expect(marked.status, JSON.stringify(tag)).toBe(400);
      expect(marked.body.error).toBe('invalid_schema');
      expect(marked.body.message).toContain('version_tag must not contain control');
    }
    expect((await call('GET', '/apps/tags/schema', { token: ADMIN })).body.versions).toEqual([]);
  });

  it('accepts a tag of visible text', async () => {
    const pushed = await push(JSON.stringify(buildPreparedBody(bare('v1.0 — été'), 'tags')));
    expect(pushed.body).toEqual({ status: 'accepted', version: 1 });
  });
});
