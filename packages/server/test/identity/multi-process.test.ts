import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { features } from '../../src/features/index.js';
import { createServer, type PylonServer } from '../../src/server.js';
import type { Storage } from '../../src/storage/database.js';
import { type ScratchDatabase, testDatabases } from '../support/databases.js';
import { TEST_SECRET } from '../support/server.js';

// Two Pylon processes (separate connections or pools, separate in-memory state, SQLite's answers
// kept in memory included) on one database.
describe.each(testDatabases)('two server instances on one $kind database', (database) => {
  let scratch: ScratchDatabase;
  const storages: Storage[] = [];
  const servers: PylonServer[] = [];

  beforeAll(async () => {
    scratch = await database.create();
    const config = loadConfig({
      PYLON_SECRET: TEST_SECRET,
      PYLON_DATABASE_URL: scratch.config.url,
      PYLON_LOG_LEVEL: 'silent',
    });
    for (let i = 0; i < 2; i++) {
      const storage = await scratch.openMigrated();
      const server = createServer(config, { storage, logger: pino({ level: 'silent' }) }, features(config));
      await server.prepare();
      storages.push(storage);
      servers.push(server);
    }
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    for (const storage of storages) await storage.close();
    await scratch.drop();
  });

  const post = (server: PylonServer, path: string, body: unknown, token?: string) =>
    server.app.request(`/api/auth${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  const whoIs = async (server: PylonServer, token: string) =>
    (
      (await (
        await server.app.request('/api/auth/me', { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { userId: string | null }
    ).userId;

  it('a token refreshed on one process is rejected at once on the other', async () => {
    const [a, b] = servers as [PylonServer, PylonServer];
    const registered = (await (
      await post(a, '/password/register', { email: 'two@example.com', password: 'two processes!' })
    ).json()) as {
      token: string;
      user_id: string;
    };
    expect(await whoIs(b, registered.token)).toBe(registered.user_id);
    const refreshed = (await (await post(a, '/refresh', {}, registered.token)).json()) as { token: string };
    expect(await whoIs(b, registered.token)).toBeNull();
    expect(await whoIs(b, refreshed.token)).toBe(registered.user_id);

    const revoke = await b.app.request('/api/auth/session', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${refreshed.token}` },
    });
    expect(revoke.status).toBe(200);
    expect(await whoIs(a, refreshed.token)).toBeNull();
  });

  it('a session B answered from memory is refused on B at once after a sign-out on A', async () => {
    const [a, b] = servers as [PylonServer, PylonServer];
    const [, storageB] = storages as [Storage, Storage];
    const registered = (await (
      await post(a, '/password/register', { email: 'kept@example.com', password: 'kept in memory!' })
    ).json()) as { token: string; user_id: string };
    expect(await whoIs(b, registered.token)).toBe(registered.user_id);
    const before = storageB.readCacheStats();
    expect(await whoIs(b, registered.token)).toBe(registered.user_id);
    if (database.kind === 'sqlite') {
      // The second look-up on B was answered from memory: nothing was written in between.
      expect(storageB.readCacheStats()!.hits).toBe(before!.hits + 1);
    } else {
      expect(before).toBeNull();
    }
    const signedOut = await a.app.request('/api/auth/session', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${registered.token}` },
    });
    expect(signedOut.status).toBe(200);
    expect(await whoIs(b, registered.token)).toBeNull();
  });

  it('a magic code sent through one process is throttled and consumed on the other', async () => {
    const [a, b] = servers as [PylonServer, PylonServer];
    const sent = (await (await post(a, '/magic/send', { email: 'code@example.com' })).json()) as {
      dev_code: string;
    };
    expect((await post(b, '/magic/send', { email: 'code@example.com' })).status).toBe(429);
    expect((await post(b, '/magic/verify', { email: 'code@example.com', code: sent.dev_code })).status).toBe(
      200,
    );
    expect((await post(a, '/magic/verify', { email: 'code@example.com', code: sent.dev_code })).status).toBe(
      401,
    );
  });
});
