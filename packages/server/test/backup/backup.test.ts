import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupError, backupDatabase, restoreDatabase } from '../../src/backup/backup.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { features } from '../../src/features/index.js';
import { type Listening, listen } from '../../src/platform/listen.js';
import { createServer, type PylonServer } from '../../src/server.js';
import { migrateToLatest, openStorage, type Storage } from '../../src/storage/database.js';
import { TEST_SECRET } from '../support/server.js';

const OTHER_SECRET = 'b'.repeat(64);
const logger = pino({ level: 'silent' });

function configFor(path: string, secret = TEST_SECRET): Config {
  return loadConfig({
    PYLON_SECRET: secret,
    PYLON_DATABASE_URL: `sqlite:${path}`,
    PYLON_LOG_LEVEL: 'silent',
    PYLON_DISABLE_HIBP: '1',
    PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '1000000',
    PYLON_RATE_LIMIT_CODE_SENDS_PER_MINUTE: '1000000',
  });
}

interface Running {
  server: PylonServer;
  storage: Storage;
  listening: Listening;
  url: string;
  stop(): Promise<void>;
}

/** A real server on a loopback port over the SQLite file at `path`. */
async function serveFile(path: string, secret = TEST_SECRET): Promise<Running> {
  const config = configFor(path, secret);
  const storage = openStorage(config.database);
  const { error } = await migrateToLatest(storage);
  if (error) throw error;
  const server = createServer(config, { storage, logger }, features(config));
  await server.prepare();
  const listening = await listen(server.fetch, 0, '127.0.0.1');
  return {
    server,
    storage,
    listening,
    url: listening.url,
    async stop() {
      await listening.close(1000);
      await server.close();
      await storage.close();
    },
  };
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('pylon-server backup and restore (SQLite)', () => {
  let dir: string;
  let live: Running;
  let sessionToken: string;
  let sessionCookie: string;
  let backupFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pylon-backup-'));
    live = await serveFile(join(dir, 'live.db'));
    const email = 'before-backup@example.com';
    const sent = (await (await post(`${live.url}/api/auth/magic/send`, { email })).json()) as {
      dev_code: string;
    };
    const verified = await post(`${live.url}/api/auth/magic/verify`, { email, code: sent.dev_code });
    expect(verified.status).toBe(200);
    sessionToken = ((await verified.json()) as { token: string }).token;
    sessionCookie = verified.headers.getSetCookie()[0]!.split(';')[0]!;
    backupFile = join(dir, 'backup.db');
  });
  afterAll(async () => {
    await live.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('backs up while the server serves requests and writes, into a 0600 file', async () => {
    let serving = true;
    let answered = 0;
    const failures: number[] = [];
    const traffic = (async () => {
      for (let n = 0; serving; n++) {
        // Writes (a new person's code each time) and reads, throughout the backup.
        const response = await post(`${live.url}/api/auth/magic/send`, { email: `load${n}@example.com` });
        if (response.status !== 200) failures.push(response.status);
        await response.arrayBuffer();
        const me = await fetch(`${live.url}/api/auth/me`, {
          headers: { authorization: `Bearer ${sessionToken}` },
        });
        if (me.status !== 200) failures.push(me.status);
        await me.arrayBuffer();
        answered += 2;
      }
    })();
    while (answered < 10) await new Promise((resolve) => setImmediate(resolve));
    await backupDatabase(configFor(join(dir, 'live.db')), backupFile, logger);
    serving = false;
    await traffic;
    expect(failures).toEqual([]);
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    // One self-contained file: no -wal or -shm beside it.
    expect(existsSync(`${backupFile}-wal`)).toBe(false);
    expect(existsSync(`${backupFile}-shm`)).toBe(false);
  });

  it('makes the directory it is asked to write into, once, private to the owner', async () => {
    const nested = join(dir, 'backups', 'daily', 'pylon.db');
    await backupDatabase(configFor(join(dir, 'live.db')), nested, logger);
    expect(statSync(nested).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'backups', 'daily')).mode & 0o777).toBe(0o700);
  });

  it('refuses to overwrite an existing file', async () => {
    await expect(backupDatabase(configFor(join(dir, 'live.db')), backupFile, logger)).rejects.toThrow(
      /exists: choose a new file/,
    );
  });

  it('restores into a fresh database where the session from before the backup still works', async () => {
    const restoredPath = join(dir, 'restored', 'pylon.db');
    await restoreDatabase(configFor(restoredPath), backupFile, logger);
    expect(statSync(restoredPath).mode & 0o777).toBe(0o600);
    const restored = await serveFile(restoredPath);
    try {
      const byBearer = await fetch(`${restored.url}/api/auth/me`, {
        headers: { authorization: `Bearer ${sessionToken}` },
      });
      expect(byBearer.status).toBe(200);
      expect(((await byBearer.json()) as { email: string }).email).toBe('before-backup@example.com');
      const byCookie = await fetch(`${restored.url}/api/auth/session`, {
        headers: { cookie: sessionCookie },
      });
      expect(byCookie.status).toBe(200);
      // The restored signing key signs, and the key set publishes it.
      const minted = await fetch(`${restored.url}/api/auth/jwt`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sessionToken}` },
      });
      expect(minted.status).toBe(200);
      const ready = await fetch(`${restored.url}/ready`);
      expect(ready.status).toBe(200);
    } finally {
      await restored.stop();
    }
  });

  it('refuses a restore under another PYLON_SECRET, naming the cause, and leaves no database behind', async () => {
    const target = join(dir, 'wrong-secret', 'pylon.db');
    const refused = restoreDatabase(configFor(target, OTHER_SECRET), backupFile, logger);
    await expect(refused).rejects.toBeInstanceOf(BackupError);
    await expect(refused).rejects.toThrow(/signing keys do not open with this PYLON_SECRET/);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(`${target}.restoring`)).toBe(false);
  });

  it('refuses to restore over an existing database, a file that is not a Pylon database, and a missing file', async () => {
    await expect(restoreDatabase(configFor(join(dir, 'live.db')), backupFile, logger)).rejects.toThrow(
      /exists: stop Pylon and move the current database aside/,
    );
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not a database at all, just text that is long enough to have a header');
    await expect(restoreDatabase(configFor(join(dir, 'fresh1.db')), junk, logger)).rejects.toBeInstanceOf(
      BackupError,
    );
    await expect(
      restoreDatabase(configFor(join(dir, 'fresh2.db')), join(dir, 'absent.db'), logger),
    ).rejects.toThrow(/cannot open/);
    expect(existsSync(join(dir, 'fresh1.db'))).toBe(false);
  });

  it('on PostgreSQL names pg_dump and pg_restore instead, without the password', async () => {
    const config = loadConfig({
      PYLON_SECRET: TEST_SECRET,
      PYLON_DATABASE_URL: 'postgres://pylon:hunter2@db.internal:5432/pylon',
    });
    const backup = backupDatabase(config, '/tmp/pylon.dump', logger);
    await expect(backup).rejects.toThrow(/pg_dump --format=custom --file=\/tmp\/pylon.dump/);
    await expect(backup).rejects.not.toThrow(/hunter2/);
    const restore = restoreDatabase(config, '/tmp/pylon.dump', logger);
    await expect(restore).rejects.toThrow(/pg_restore --no-owner/);
    await expect(restore).rejects.not.toThrow(/hunter2/);
  });
});
