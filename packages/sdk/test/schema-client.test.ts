import { readFileSync } from 'node:fs';
import { prepareSchema } from '@pylon/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pylonSchemaClient } from '../src/schema-client.js';
import { fakePylon } from './support/fake-pylon.js';
import { ORG_URL } from './support/keys.js';

const conformance = new URL('../../core/test/fixtures/schema-prepare/', import.meta.url);
const PREPARED = readFileSync(new URL('reference.prepared.json', conformance), 'utf8');
const BARE = readFileSync(new URL('reference.bare.yaml', conformance), 'utf8');
const APP_TOKEN = `pyat_${'x'.repeat(43)}`;
const PUSH = `POST ${ORG_URL}/apps/example/schema`;

function schemaClient(options: { sessionToken?: string } = {}) {
  const pylon = fakePylon();
  const client = pylonSchemaClient({
    orgUrl: ORG_URL,
    appId: 'example',
    appToken: APP_TOKEN,
    fetch: pylon.fetch,
    ...options,
  });
  return { pylon, client };
}

describe('pylonSchemaClient.push', () => {
  it('sends the file’s own bytes with X-Pylon-App-Token and returns accepted', async () => {
    const { pylon, client } = schemaClient();
    pylon.state.routes.set(PUSH, (init) => {
      expect(new Headers(init?.headers).get('x-pylon-app-token')).toBe(APP_TOKEN);
      expect(init?.body).toBe(PREPARED);
      return Response.json({ status: 'accepted', version: 1 });
    });
    expect(await client.push(PREPARED)).toEqual({ status: 'accepted', version: 1 });
    // A parsed value is sent as its canonical JSON: the same bytes.
    expect(await client.push(JSON.parse(PREPARED))).toEqual({ status: 'accepted', version: 1 });
  });

  it('returns (does not throw) pending_approval', async () => {
    const { pylon, client } = schemaClient();
    const pending = {
      status: 'pending_approval',
      version: 2,
      current_version: 1,
      diff: { kind: 'destructive', changes: [] },
    };
    pylon.state.routes.set(PUSH, () => Response.json(pending));
    expect(await client.push(PREPARED)).toEqual(pending);
  });

  it('refuses locally, without a request, a tampered file or another app’s namespace', async () => {
    const { pylon, client } = schemaClient();
    await expect(client.push(PREPARED.replace('"Read worlds"', '"Read all worlds"'))).rejects.toMatchObject({
      code: 'invalid_schema',
    });
    await expect(client.push('{"not":"a schema"}')).rejects.toMatchObject({ code: 'invalid_schema' });
    const foreign = prepareSchema(BARE, 'other', { cliVersion: '0.0.0-test' });
    await expect(client.push(foreign)).rejects.toMatchObject({ code: 'namespace_violation' });
    expect(pylon.state.calls).toEqual([]);
  });

  it('maps Pylon’s error codes to the SDK’s error classes', async () => {
    const { pylon, client } = schemaClient();
    for (const [status, error, code] of [
      [401, 'app_token_invalid', 'app_token_invalid'],
      [422, 'namespace_violation', 'namespace_violation'],
      [400, 'invalid_schema', 'invalid_schema'],
      [409, 'schema_pending', 'schema_push_failed'],
      [403, 'app_disabled', 'schema_push_failed'],
      [502, undefined, 'schema_push_failed'],
    ] as const) {
      pylon.state.routes.set(PUSH, () => Response.json(error ? { error, message: 'no' } : {}, { status }));
      const failure = await client.push(PREPARED).catch((caught: unknown) => caught);
      expect(failure).toMatchObject({ code, status, serverCode: error });
      expect((failure as Error).message).not.toContain(APP_TOKEN);
    }
    pylon.state.routes.set(PUSH, () => new Response('<html>proxy</html>', { status: 200 }));
    await expect(client.push(PREPARED)).rejects.toMatchObject({ code: 'schema_push_failed', status: 200 });
    pylon.state.routes.delete(PUSH);
    await expect(client.push(PREPARED)).rejects.toMatchObject({ code: 'schema_push_failed' });
  });
});

describe('pylonSchemaClient.current', () => {
  afterEach(() => vi.unstubAllEnvs());
  const CURRENT = `GET ${ORG_URL}/apps/example/schema/current`;

  it('needs a session (option, else PYLON_SESSION_TOKEN) and returns null before the first push', async () => {
    const { pylon, client } = schemaClient();
    await expect(client.current()).rejects.toMatchObject({ code: 'no_session' });
    vi.stubEnv('PYLON_SESSION_TOKEN', 'pylon_env');
    pylon.state.routes.set(CURRENT, (init) => {
      expect(new Headers(init?.headers).get('authorization')).toBe('Bearer pylon_env');
      return Response.json({ error: 'not_found' }, { status: 404 });
    });
    expect(await client.current()).toBeNull();
    pylon.state.routes.set(CURRENT, () => Response.json({ version: 3, version_tag: '0.3.0' }));
    expect(await client.current()).toMatchObject({ version: 3 });
    pylon.state.routes.set(CURRENT, () => Response.json({ error: 'expired' }, { status: 401 }));
    await expect(client.current()).rejects.toMatchObject({ code: 'no_session', serverCode: 'expired' });
    pylon.state.routes.set(CURRENT, () => Response.json({ error: 'app_not_found' }, { status: 404 }));
    await expect(client.current()).rejects.toMatchObject({
      code: 'request_failed',
      serverCode: 'app_not_found',
    });
  });
});
