import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/defaults.js';
import { CORS_HEADERS } from '../../src/http/cors.js';
import { securityHeaderEntries } from '../../src/http/middleware/security-headers.js';
import { KEY_SET_KV_KEY, KeySetPublisher, keySetFromCache } from '../../src/workers/key-set-cache.js';
import type { KVNamespace } from '../../src/workers/runtime.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** Cloudflare KV's interface over a Map, recording every write (KV itself is in miniflare's tests). */
function memoryKV(): KVNamespace & {
  puts: string[];
  values: Map<string, string>;
  metadata: Map<string, unknown>;
} {
  const values = new Map<string, string>();
  const metadata = new Map<string, unknown>();
  const puts: string[] = [];
  return {
    values,
    metadata,
    puts,
    async getWithMetadata<Metadata>(key: string) {
      return { value: values.get(key) ?? null, metadata: (metadata.get(key) ?? null) as Metadata | null };
    },
    async put(key, value, options) {
      puts.push(key);
      values.set(key, value);
      metadata.set(key, options?.metadata);
    },
  };
}

const silent = pino({ level: 'silent' });

describe('the key set written through to KV', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(testDatabases[0]!);
  });
  afterAll(() => t.close());

  it('writes the published set when it changes (a rotation), and only then', async () => {
    const kv = memoryKV();
    const publisher = new KeySetPublisher(kv, t.server.services.keys, 'default', silent);
    await publisher.sync();
    await publisher.sync();
    expect(kv.puts).toEqual([KEY_SET_KV_KEY]);
    expect(kv.metadata.get(KEY_SET_KV_KEY)).toEqual({ defaultOrg: 'default' });
    const before = JSON.parse(kv.values.get(KEY_SET_KV_KEY)!) as { keys: Array<{ kid: string }> };
    expect(before.keys).toEqual(await t.server.services.keys.publicKeys());

    // A rotated key is published at once, long before it signs: the copy must carry it.
    const rotated = await t.server.services.keys.rotate(DEFAULTS.keySetMaxAgeSeconds);
    await publisher.sync();
    expect(kv.puts).toHaveLength(2);
    const after = JSON.parse(kv.values.get(KEY_SET_KV_KEY)!) as { keys: Array<{ kid: string }> };
    expect(after.keys.map((key) => key.kid)).toEqual(
      expect.arrayContaining([...before.keys.map((key) => key.kid), rotated.kid]),
    );
  });

  it('a failed KV write is logged, not thrown, and retried at the next sync', async () => {
    const kv = memoryKV();
    let fail = true;
    const flaky: KVNamespace = {
      getWithMetadata: kv.getWithMetadata,
      async put(key, value) {
        if (fail) throw new Error('KV unavailable');
        await kv.put(key, value);
      },
    };
    const publisher = new KeySetPublisher(flaky, t.server.services.keys, 'default', silent);
    await publisher.sync();
    expect(kv.values.size).toBe(0);
    fail = false;
    await publisher.sync();
    expect(kv.values.has(KEY_SET_KV_KEY)).toBe(true);
  });

  it('the Worker answers from KV only a plain GET of a key-set path, and only once a copy exists', async () => {
    const kv = memoryKV();
    const get = (path: string, method = 'GET') =>
      keySetFromCache(new Request(`https://p.example${path}`, { method }), { PYLON_CACHE: kv });
    expect(await get('/.well-known/jwks.json')).toBeNull();
    await kv.put(KEY_SET_KV_KEY, '{"keys":[]}', { metadata: { defaultOrg: 'default' } });
    const answer = await get('/.well-known/jwks.json');
    expect(answer?.status).toBe(200);
    expect(await answer?.text()).toBe('{"keys":[]}');
    expect((await get('/.well-known/pylon-keys'))?.status).toBe(200);
    expect(await get('/.well-known/jwks.json', 'POST')).toBeNull();
    expect(await get('/.well-known/jwks.json?x=1')).toBeNull();
    expect(await get('/.well-known/jwks.json/')).toBeNull();
    expect(await keySetFromCache(new Request('https://p.example/.well-known/jwks.json'), {})).toBeNull();
  });

  it("answers under /o/{orgId} for the default org only: another org's existence only the object knows", async () => {
    const kv = memoryKV();
    const get = (path: string) =>
      keySetFromCache(new Request(`https://p.example${path}`), { PYLON_CACHE: kv });
    await kv.put(KEY_SET_KV_KEY, '{"keys":[]}', { metadata: { defaultOrg: 'default' } });
    expect((await get('/o/default/.well-known/pylon-keys'))?.status).toBe(200);
    expect((await get('/o/default/.well-known/jwks.json'))?.status).toBe(200);
    expect(await get('/o/acme/.well-known/pylon-keys')).toBeNull();
    expect(await get('/o/default/x/.well-known/pylon-keys')).toBeNull();
    // The OAuth server's jwks_uri adds the id_token keys, which the copy does not hold.
    expect(await get('/o/default/oauth/jwks')).toBeNull();
    expect(await get('/oauth/jwks')).toBeNull();
    // A copy written without the default org (by an older object) answers at the root only.
    await kv.put(KEY_SET_KV_KEY, '{"keys":[]}');
    expect((await get('/.well-known/pylon-keys'))?.status).toBe(200);
    expect(await get('/o/default/.well-known/pylon-keys')).toBeNull();
  });

  it("carries the headers of the object's own answer: security, CORS, Cache-Control, a request id", async () => {
    const kv = memoryKV();
    await kv.put(KEY_SET_KV_KEY, '{"keys":[]}', { metadata: { defaultOrg: 'default' } });
    const answer = (await keySetFromCache(
      new Request('http://p.example/.well-known/jwks.json', { headers: { 'x-request-id': 'edge-1' } }),
      { PYLON_CACHE: kv, PYLON_PUBLIC_URL: 'https://p.example' },
    ))!;
    for (const [name, value] of securityHeaderEntries({ https: true })) {
      if (name !== 'Cache-Control') expect(answer.headers.get(name), name).toBe(value);
    }
    for (const [name, value] of Object.entries(CORS_HEADERS)) expect(answer.headers.get(name)).toBe(value);
    expect(answer.headers.get('cache-control')).toBe(`public, max-age=${DEFAULTS.keySetMaxAgeSeconds}`);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.headers.get('x-request-id')).toBe('edge-1');
    expect(answer.headers.get('x-pylon-key-set')).toBe('kv');
  });
});
