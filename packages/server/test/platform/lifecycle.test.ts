import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSecret } from '../../src/boot.js';
import { loadConfig } from '../../src/config/config.js';
import { defineRoute } from '../../src/http/route-table.js';
import { listen } from '../../src/platform/listen.js';
import { loadOrCreateDevelopmentSecret } from '../../src/platform/secret-file.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe('graceful shutdown', () => {
  let t: TestServer;
  let release: () => void = () => {};
  const started: Array<() => void> = [];
  beforeAll(async () => {
    t = await startTestServer(testDatabases[0]!, {
      features: () => [
        {
          authRoutes: [
            defineRoute({
              method: 'get',
              path: '/probe/slow',
              summary: 'waits until released',
              responses: { 200: { description: 'done' } },
              handler: async (c) => {
                started.shift()?.();
                await new Promise<void>((resolve) => {
                  release = resolve;
                });
                return c.json({ finished: true });
              },
            }),
          ],
        },
      ],
    });
  });
  afterAll(() => t.close());

  it('stops accepting, finishes the in-flight request, then closes', async () => {
    const listening = await listen(t.server.fetch, 0, '127.0.0.1');
    const inFlightStarted = new Promise<void>((resolve) => started.push(resolve));
    const inFlight = fetch(`${listening.url}/api/auth/probe/slow`);
    await inFlightStarted;

    let closed = false;
    const closing = listening.close(10_000).then(() => {
      closed = true;
    });
    // A refused connection proves the listener stopped; the in-flight request still holds close().
    await expect(fetch(`${listening.url}/health`)).rejects.toThrow();
    expect(closed).toBe(false);

    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ finished: true });
    await closing;
    expect(closed).toBe(true);
  });

  it('drops requests still running after the grace period', async () => {
    const listening = await listen(t.server.fetch, 0, '127.0.0.1');
    const inFlightStarted = new Promise<void>((resolve) => started.push(resolve));
    const inFlight = fetch(`${listening.url}/api/auth/probe/slow`).then(
      () => 'answered',
      () => 'dropped',
    );
    await inFlightStarted;
    await listening.close(50);
    expect(await inFlight).toBe('dropped');
    release();
  });
});

describe('development secret', () => {
  it('is generated once with mode 0600, in a data directory made 0700, and reused', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pylon-secret-')), 'data');
    const first = loadOrCreateDevelopmentSecret(dir, () => 'c'.repeat(64));
    expect(first).toMatchObject({ created: true, secret: 'c'.repeat(64) });
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const second = loadOrCreateDevelopmentSecret(dir, () => 'd'.repeat(64));
    expect(second).toMatchObject({ created: false, secret: 'c'.repeat(64) });
  });

  it('resolveSecret warns once and fills the config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pylon-secret-'));
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    const config = loadConfig({ PYLON_DATA_DIR: dir });
    const filled = resolveSecret(config, logger);
    expect(filled.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, 'secret'), 'utf8').trim()).toBe(filled.secret);
    expect(resolveSecret(config, logger).secret).toBe(filled.secret);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('PYLON_SECRET');
    expect(warnings[0]).not.toContain(filled.secret!);
  });

  it('a corrupted secret file stops start-up', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pylon-secret-'));
    loadOrCreateDevelopmentSecret(dir, () => 'not hex at all');
    expect(() => loadOrCreateDevelopmentSecret(dir, () => 'e'.repeat(64))).toThrow(/64 hex/);
  });
});

const bin = fileURLToPath(new URL('../../dist/bin/pylon-server.js', import.meta.url));

// Runs the built binary (npm test builds first); skipped only when run without a build.
describe.runIf(existsSync(bin))('pylon-server binary', () => {
  it('refuses to start in production without PYLON_SECRET, naming it', () => {
    const result = spawnSync(process.execPath, [bin, 'serve'], {
      env: { PATH: process.env.PATH, PYLON_ENV: 'production', PYLON_PUBLIC_URL: 'https://auth.example.com' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('PYLON_SECRET');
  });

  it('rejects an unknown command with usage and exit 2', () => {
    const result = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('usage: pylon-server');
  });

  it('refuses to start on a database set up with another secret, saying which, and keeps working with the right one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pylon-secret-mismatch-'));
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, [bin, 'keys', 'rotate'], {
        env: { PATH: process.env.PATH, PYLON_DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, ...env },
        encoding: 'utf8',
        timeout: 20_000,
      });
    const first = run({ PYLON_SECRET: 'a1'.repeat(32) });
    expect(first.status).toBe(0);
    expect(run({ PYLON_SECRET: 'a1'.repeat(32) }).status).toBe(0);

    const other = run({ PYLON_SECRET: 'b2'.repeat(32) });
    expect(other.status).toBe(1);
    expect(other.stderr).toContain('PYLON_SECRET does not open the signing keys stored in the database');
    expect(other.stderr).not.toContain('b2b2');
    expect(other.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace

    // Development without PYLON_SECRET: a fresh secret in another PYLON_DATA_DIR, named in the message.
    const elsewhere = join(dir, 'elsewhere');
    const development = run({ PYLON_DATA_DIR: elsewhere });
    expect(development.status).toBe(1);
    expect(development.stderr).toContain(join(elsewhere, 'secret'));
    expect(development.stderr).toContain('PYLON_DATA_DIR moves that file, not the database');
  });

  it('migrate applies the migrations to a fresh database and exits 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pylon-migrate-'));
    const result = spawnSync(process.execPath, [bin, 'migrate'], {
      env: {
        PATH: process.env.PATH,
        PYLON_DATABASE_URL: `sqlite:${join(dir, 'p.db')}`,
        PYLON_LOG_LEVEL: 'info',
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('0001-platform');
    expect(existsSync(join(dir, 'p.db'))).toBe(true);
  });
});

describe.runIf(existsSync(bin)).each(testDatabases)(
  'pylon-server on a database a newer Pylon migrated ($kind)',
  (kind) => {
    it('migrate and serve exit 1 with the one line restore prints for such a backup, no stack', async () => {
      const database = await kind.create();
      const dir = mkdtempSync(join(tmpdir(), 'pylon-newer-'));
      try {
        const storage = await database.openMigrated();
        await sql`insert into pylon_migrations values ('0099-future', '2027-01-01T00:00:00.000Z')`.execute(
          storage.db,
        );
        await storage.close();
        for (const command of ['migrate', 'serve']) {
          const result = spawnSync(process.execPath, [bin, command], {
            env: {
              PATH: process.env.PATH,
              PYLON_DATABASE_URL: database.config.url,
              PYLON_DATA_DIR: dir,
              PYLON_PORT: '0',
              PYLON_HOST: '127.0.0.1',
            },
            encoding: 'utf8',
            timeout: 30_000,
          });
          expect(result.status, command).toBe(1);
          expect(result.stderr).toBe(
            'pylon-server: the database is from a newer Pylon (migrations 0099-future): run it with that version\n',
          );
          expect(result.stdout).not.toMatch(/"level":60|corrupted migrations/);
        }
      } finally {
        await database.drop();
      }
    }, 90_000);
  },
);
