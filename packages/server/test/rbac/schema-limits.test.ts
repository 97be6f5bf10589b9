import { type BareSchema, buildPreparedBody, capsClaimBytes, MAX_CAPS_CLAIM_BYTES } from '@pylon/core';
import { MAX_TOKEN_LENGTH } from '@pylon/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { rbacCaller } from './call.js';

const ADMIN = 'admin-token-for-schema-limit-tests-0123456789';
// The longest ids and address Pylon takes, so every other claim of the token is as large as it gets.
const ORG = `o${'r'.repeat(62)}g`;
const APP = `a${'p'.repeat(62)}p`;
const EMAIL = `${'l'.repeat(64)}@${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(57)}.com`;

/** Capability names `c0000…` for `appId`, as many as fit in a `caps` claim of at most `bytes`. */
function namesFitting(appId: string, bytes: number): string[] {
  const names: string[] = [];
  for (let i = 0; ; i++) {
    const name = `c${String(i).padStart(4, '0')}`;
    if (capsClaimBytes([...names, name].map((bare) => `${appId}:${bare}`)) > bytes) return names;
    names.push(name);
  }
}

/** A push without the CLI's marker: the prepared body, names namespaced. */
function body(appId: string, bare: BareSchema): string {
  return JSON.stringify(buildPreparedBody(bare, appId));
}

describe.each(testDatabases)('schema limits on $kind', (database) => {
  let t: TestServer;
  const call = rbacCaller(() => t);
  const base = `/o/${ORG}`;
  let appToken: string;
  const push = (raw: string, app = APP, token = appToken) =>
    call('POST', `${base}/apps/${app}/schema`, { appToken: token, raw });

  let session: string;

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    const sent = await call('POST', '/api/auth/magic/send', { body: { email: EMAIL } });
    const verified = await call('POST', '/api/auth/magic/verify', {
      body: { email: EMAIL, code: sent.body.dev_code },
    });
    session = verified.body.token as string;
    const created = await call('POST', '/api/auth/orgs', { token: session, body: { name: 'Long', id: ORG } });
    expect(created.status).toBe(201);
    const registered = await call('POST', `${base}/apps`, {
      token: ADMIN,
      body: { name: APP, owner: EMAIL },
    });
    expect(registered.status).toBe(201);
    appToken = registered.body.app_token as string;
  });
  afterAll(() => t.close());

  it('refuses an archetype whose token the SDK would refuse, naming it and the limit', async () => {
    const names = [...namesFitting(APP, MAX_CAPS_CLAIM_BYTES), 'c9999'];
    const refused = await push(
      body(APP, {
        version_tag: '1.0.0',
        capabilities: names.map((name) => ({ name })),
        archetypes: [
          { name: 'small', capabilities: ['c0000'] },
          { name: 'all', capabilities: names.slice(1), inherits: ['small'] },
        ],
      }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_schema');
    expect(refused.body.message).toMatch(
      new RegExp(
        `^archetype ${APP}:all expands to ${names.length} capabilities, \\d+ bytes as a scoped token's caps claim; at most 4096 bytes fit in a token the SDK accepts \\(8192 characters\\)$`,
      ),
    );
    // The tester's case: 3 000 capabilities in one archetype.
    const many = Array.from({ length: 3000 }, (_, i) => `cap${i}`);
    const huge = await push(
      body(APP, {
        version_tag: '1.0.0',
        capabilities: many.map((name) => ({ name })),
        archetypes: [{ name: 'everything', capabilities: many }],
      }),
    );
    expect(huge.body.error).toBe('invalid_schema');
    expect((await call('GET', `${base}/apps/${APP}/schema`, { token: ADMIN })).body.versions).toEqual([]);
  });

  it('accepts an archetype at the limit, whose token for the longest ids and address the SDK takes', async () => {
    const names = namesFitting(APP, MAX_CAPS_CLAIM_BYTES);
    const accepted = await push(
      body(APP, {
        version_tag: '1.0.0',
        capabilities: names.map((name) => ({ name })),
        archetypes: [{ name: 'all', capabilities: names }],
      }),
    );
    expect(accepted.body).toEqual({ status: 'accepted', version: 1 });
    const granted = await call('POST', `${base}/roles`, {
      token: ADMIN,
      body: { email: EMAIL, app_id: APP, archetype: 'all' },
    });
    expect(granted.status).toBe(200);

    const minted = await call('POST', `${base}/token`, { token: session, body: { app_id: APP } });
    expect(minted.status).toBe(200);
    const token = minted.body.scoped_token as string;
    expect(token.length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      caps: string[];
    };
    expect(claims.caps).toHaveLength(names.length);
  });

  it('refuses a grant whose extra capabilities would take its token over the limit', async () => {
    const registered = await call('POST', `${base}/apps`, {
      token: ADMIN,
      body: { name: 'split', owner: EMAIL },
    });
    const half = namesFitting('split', MAX_CAPS_CLAIM_BYTES / 2 + 200);
    const other = half.map((name) => `d${name.slice(1)}`);
    const pushed = await push(
      body('split', {
        version_tag: '1.0.0',
        capabilities: [...half, ...other].map((name) => ({ name })),
        archetypes: [
          { name: 'first', capabilities: half },
          { name: 'second', capabilities: other },
        ],
      }),
      'split',
      registered.body.app_token as string,
    );
    expect(pushed.body).toEqual({ status: 'accepted', version: 1 });
    const grant = (capabilities: string[]) =>
      call('POST', `${base}/roles`, {
        token: ADMIN,
        body: { email: EMAIL, app_id: 'split', archetype: 'first', capabilities },
      });
    const refused = await grant(other);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_capability');
    expect(refused.body.message).toMatch(
      /^split:first with these capabilities takes \d+ bytes .*at most 4096 fit$/,
    );
    expect((await grant(other.slice(0, 10))).status).toBe(200);
  });
});
