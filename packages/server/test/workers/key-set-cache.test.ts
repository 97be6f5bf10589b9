import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/defaults.js';
import { KEY_SET_KV_KEY, KeySetPublisher, keySetFromCache } from '../../src/workers/key-set-cache.js';
import type { KVNamespace } from '../../src/workers/runtime.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** Cloudflare KV's interface over a Map, recording every write (KV itself is in miniflare's tests). */
function memoryKV(): KVNamespace & { puts: string[]; values: Map<string, string> } {
  const values = new Map<string, string>();
  const puts: string[] = [];
  return {
    values,
    puts,
    async get(key) {
      return values.get(key) ?? null;
    },
    async put(key, value) {
      puts.push(key);
      values.set(key, value);
    },
  };
}

describe('the key set written through to KV', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(testDatabases[0]!);
  });
  afterAll(() => t.close());

  it('writes the published set when it changes (a rotation), and only then', async () => {
    const kv = memoryKV();
    const publisher = new KeySetPublisher(kv, t.server.services.keys, pino({ level: 'silent' }));
    await publisher.sync();
    await publisher.sync();
    expect(kv.puts).toEqual([KEY_SET_KV_KEY]);
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
      get: kv.get,
      async put(key, value) {
        if (fail) throw new Error('KV unavailable');
        await kv.put(key, value);
      },
    };
    const publisher = new KeySetPublisher(flaky, t.server.services.keys, pino({ level: 'silent' }));
    await publisher.sync();
    expect(kv.values.size).toBe(0);
    fail = false;
    await publisher.sync();
    expect(kv.values.has(KEY_SET_KV_KEY)).toBe(true);
  });

  it('the Worker answers from KV only a plain GET of a key-set path, and only once a copy exists', async () => {
    const kv = memoryKV();
    const get = (path: string, method = 'GET') =>
      keySetFromCache(new Request(`https://p.example${path}`, { method }), kv);
    expect(await get('/.well-known/jwks.json')).toBeNull();
    kv.values.set(KEY_SET_KV_KEY, '{"keys":[]}');
    const answer = await get('/.well-known/jwks.json');
    expect(answer?.status).toBe(200);
    expect(answer?.headers.get('cache-control')).toBe(`public, max-age=${DEFAULTS.keySetMaxAgeSeconds}`);
    expect(await answer?.text()).toBe('{"keys":[]}');
    expect((await get('/.well-known/pylon-keys'))?.status).toBe(200);
    expect(await get('/.well-known/jwks.json', 'POST')).toBeNull();
    expect(await get('/.well-known/jwks.json?x=1')).toBeNull();
    expect(await get('/o/default/.well-known/jwks.json')).toBeNull();
    expect(
      await keySetFromCache(new Request('https://p.example/.well-known/jwks.json'), undefined),
    ).toBeNull();
  });
});
