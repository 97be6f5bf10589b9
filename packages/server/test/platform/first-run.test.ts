import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openMigratedStorage, StartupError } from '../../src/boot.js';
import { loadConfig } from '../../src/config/config.js';
import { chooseLogFormat, createLogger, formatPrettyLine, prettyDestination } from '../../src/logger.js';
import { explainPostgresStartupError } from '../../src/platform/postgres.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const postgresURL = inject('postgresURL');
const bin = fileURLToPath(new URL('../../dist/bin/pylon-server.js', import.meta.url));

describe('log format', () => {
  it.each([
    ['development', true, 'pretty'],
    ['development', false, 'json'],
    ['development', undefined, 'json'],
    ['production', true, 'json'],
    ['production', undefined, 'json'],
  ] as const)('%s with a TTY=%s logs %s', (env, tty, format) => {
    expect(chooseLogFormat(env, tty)).toBe(format);
  });

  it('pretty lines carry time, level, message and fields, after redaction', () => {
    const lines: string[] = [];
    const logger = createLogger('info', prettyDestination({ write: (text: string) => lines.push(text) }));
    logger.info({ requestId: 'r1', status: 404, password: 'hunter2' }, 'request');
    logger.debug('not at info');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d INFO {2}request {2}requestId=r1 status=404 password=\[redacted\]\n$/,
    );
    expect(lines[0]).not.toContain('hunter2');
  });

  it('an error prints its stack on the following lines; a non-JSON line passes through', () => {
    const line = formatPrettyLine(
      JSON.stringify({
        level: 60,
        time: 0,
        msg: 'failed',
        err: { message: 'x', stack: 'Error: x\n    at y' },
      }),
    );
    expect(line).toBe('00:00:00 FATAL failed\nError: x\n    at y\n');
    expect(formatPrettyLine('plain')).toBe('plain\n');
  });
});

describe('a missing PostgreSQL database', () => {
  it('is explained with the createdb command, never the password', () => {
    const missing = Object.assign(new Error('database "pylon" does not exist'), { code: '3D000' });
    expect(explainPostgresStartupError(missing, 'postgres://app:s3cret@db.example:6543/pylon')).toBe(
      'database "pylon" does not exist: create it with `createdb -h db.example -p 6543 -U app pylon`',
    );
    expect(explainPostgresStartupError(missing, 'postgres://postgres@127.0.0.1/pylon')).toBe(
      'database "pylon" does not exist: create it with `createdb -h 127.0.0.1 -U postgres pylon`',
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(explainPostgresStartupError(refused, 'postgres://a:b@127.0.0.1:1/x')).toContain(
      'cannot reach PostgreSQL at 127.0.0.1:1',
    );
    expect(explainPostgresStartupError(new Error('other'), 'postgres://127.0.0.1/x')).toBeNull();
  });

  it.skipIf(postgresURL === null)(
    'stops start-up with that message and exit 1, without a stack',
    async () => {
      const url = new URL(postgresURL!);
      const name = `pylon_missing_${process.pid}`;
      url.pathname = `/${name}`;
      const config = loadConfig({ PYLON_DATABASE_URL: url.toString() });
      const failure = await openMigratedStorage(config, pino({ level: 'silent' })).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(StartupError);
      expect((failure as Error).message).toMatch(
        new RegExp(
          `^database "${name}" does not exist: create it with \`createdb -h ${url.hostname}.* ${name}\`$`,
        ),
      );

      const result = spawnSync(process.execPath, [bin, 'migrate'], {
        env: { PATH: process.env.PATH, PYLON_DATABASE_URL: url.toString() },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`pylon-server: database "${name}" does not exist: create it with`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    },
  );
});

describe.each(testDatabases.slice(0, 1))('browsers on $kind', (database) => {
  let t: TestServer;
  const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
  beforeAll(async () => {
    t = await startTestServer(database);
  });
  afterAll(() => t.close());

  it('GET / leads a browser to the sign-in page', async () => {
    const response = await t.request('/', { headers: browser });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/login');
    const org = await t.request('/o/default/', { headers: browser });
    expect(org.status).toBe(302);
    expect(org.headers.get('location')).toBe('/o/default/login');
  });

  it('an unknown path is an HTML 404 page for a browser', async () => {
    const response = await t.request('/no/such/page', { headers: browser });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const body = await response.text();
    expect(body).toContain('<h1>Not found</h1>');
    expect(body).toContain('href="/login"');
  });

  it('API clients keep the JSON 404, at / too', async () => {
    for (const [path, headers] of [
      ['/', {}],
      ['/', { accept: 'application/json' }],
      ['/no/such/page', { accept: '*/*' }],
    ] as const) {
      const response = await t.request(path, { headers });
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'not_found' });
    }
    const auth = await t.request('/api/auth/nope', {});
    expect(await auth.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const post = await t.request('/no/such/page', { method: 'POST', headers: browser });
    expect(post.headers.get('content-type')).toMatch(/^application\/json/);
  });

  const form = (path: string, fields: Record<string, string>) =>
    t.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:4000' },
      body: new URLSearchParams(fields).toString(),
    });

  it('a wrong password keeps the email in the password form, which stays open', async () => {
    const email = 'kept@example.com';
    const registered = await t.request('/api/auth/password/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'the right password' }),
    });
    expect(registered.status).toBe(200);
    const response = await form('/login/password', { email, password: 'the wrong password' });
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain('That email and password do not match.');
    expect(page).toMatch(/<details class="divider" open>/);
    expect(page).toMatch(
      /<input id="pw-email" name="email" type="email" autocomplete="username" value="kept@example.com"/,
    );
    expect(page).not.toContain('the wrong password');
  });

  it('the kept email is escaped', async () => {
    const response = await form('/login/password', {
      email: '"><script>alert(1)</script>@example.com',
      password: 'whatever password',
    });
    const page = await response.text();
    expect(page).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@example.com"');
    expect(page).not.toContain('<script>');
  });

  it('a failed code request keeps the email in the code form', async () => {
    const response = await form('/login/code', { email: 'not-an-email' });
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toMatch(
      /<input id="email" name="email" type="email" autocomplete="email" value="not-an-email"/,
    );
    expect(page).not.toMatch(/<details class="divider" open>/);
  });
});
