import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashEmail, parseSchemaSource } from '@pylon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Listening } from '../../../server/src/platform/listen.js';
import { testDatabases } from '../../../server/test/support/databases.js';
import { listenAhead } from '../../../server/test/support/listen-ahead.js';
import { startTestServer, type TestServer } from '../../../server/test/support/server.js';
import { runCLI } from '../../src/program.js';
import { FileSessionStore } from '../../src/session/file-session-store.js';
import {
  type RunResult,
  run,
  type TestEnvironmentOptions,
  temporaryHome,
  testEnvironment,
} from '../support/environment.js';
import { signInByCode } from '../support/sign-in.js';

const ADMIN = 'admin-token-for-cli-tests-0123456789';
const BOSS = 'boss@example.com';
const ALICE = 'alice@example.com';
const conformance = new URL('../../../core/test/fixtures/schema-prepare/', import.meta.url);
const BARE_PATH = fileURLToPath(new URL('reference.bare.yaml', conformance));
const BARE = readFileSync(BARE_PATH, 'utf8');
const PIN = { PYLON_CLI_VERSION_OVERRIDE: '0.0.0-test' };

/**
 * The `pylon` command in-process against a real Pylon listening on loopback: real HTTP, real
 * routes, a real SQLite database. The session is put where `pylon login` would leave it (the file
 * store, as on a machine without a keyring).
 */
describe('pylon against a running Pylon server', () => {
  let t: TestServer;
  let listening: Listening;
  let publicURL: string;
  let home: ReturnType<typeof temporaryHome>;
  let bossToken: string;
  let aliceToken: string;
  let appToken: string;
  const file = (name: string) => join(home.home, name);

  const signIn = (email: string) => signInByCode(t, email);

  const pylon = (argv: string[], options: TestEnvironmentOptions = {}): Promise<RunResult> =>
    run(argv, { home: home.home, ...options, env: { ...PIN, ...options.env } });

  beforeAll(async () => {
    const held = await listenAhead();
    listening = held;
    publicURL = `http://127.0.0.1:${listening.port}`;
    t = await startTestServer(testDatabases[0]!, {
      env: { PYLON_PUBLIC_URL: publicURL, PYLON_ADMIN_TOKEN: ADMIN, PYLON_BOOTSTRAP_ADMIN_EMAIL: BOSS },
    });
    held.serve(t.server.fetch);
    home = temporaryHome();
    bossToken = await signIn(BOSS);
    aliceToken = await signIn(ALICE);
    const bootstrap = await t.request('/bootstrap', {
      method: 'POST',
      headers: { authorization: `Bearer ${bossToken}` },
    });
    expect(bootstrap.status).toBe(200);
  });

  afterAll(async () => {
    await listening?.close(100);
    await t?.close();
    home?.remove();
  });

  it('use --org-url discovers the org and makes it the default', async () => {
    const result = await pylon(['use', '--org-url', publicURL]);
    expect(result.code).toBe(0);
    expect(readFileSync(file('.pylon/config.yaml'), 'utf8')).toContain(`api_url: ${publicURL}/o/default`);
    await new FileSessionStore(file('.pylon/sessions')).set('default', bossToken);
  });

  it('whoami: email, org, archetype and the store the session came from', async () => {
    const human = await pylon(['whoami']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`email:            ${BOSS}`);
    expect(human.stdout).toContain('archetype:        pylon-admin');
    expect(human.stdout).toMatch(/session store: +file \(no OS keyring\) — .*\.pylon\/sessions\/default/);
    const json = JSON.parse((await pylon(['whoami', '--json'])).stdout);
    expect(json).toMatchObject({ email: BOSS, org_id: 'default', session_store: { source: 'file' } });
    const fromEnv = JSON.parse(
      (await pylon(['whoami', '--json'], { env: { PYLON_SESSION_TOKEN: aliceToken } })).stdout,
    );
    expect(fromEnv).toMatchObject({ email: ALICE, archetype: null, session_store: { source: 'env' } });
    // An API key: its expiry, or "never" for a key made without one (not 1970).
    const keyFor = async (expiresAt?: number) => {
      const made = await t.request('/api/auth/api-keys', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${aliceToken}` },
        body: JSON.stringify({ name: 'cli', ...(expiresAt === undefined ? {} : { expires_at: expiresAt }) }),
      });
      expect(made.status).toBe(201);
      return ((await made.json()) as { key: string }).key;
    };
    const forever = await pylon(['whoami'], { env: { PYLON_SESSION_TOKEN: await keyFor() } });
    expect(forever.stdout).toContain('session expires:  never');
    const until = Math.floor(t.clock.now() / 1000) + 86_400;
    const dated = await pylon(['whoami', '--json'], { env: { PYLON_SESSION_TOKEN: await keyFor(until) } });
    expect(JSON.parse(dated.stdout).session_expires_at).toBe(until * 1000);
  });

  it('app register prints only the token on stdout; app list shows it', async () => {
    const registered = await pylon([
      'app',
      'register',
      '--name',
      'example',
      '--owner',
      BOSS,
      '--description',
      'Example',
    ]);
    expect(registered.code).toBe(0);
    expect(registered.stdout).toMatch(/^pyat_[A-Za-z0-9_-]{43}\n$/);
    expect(registered.stderr).toContain('shown once');
    appToken = registered.stdout.trim();
    const doomed = JSON.parse(
      (await pylon(['app', 'register', '--name', 'doomed', '--owner', BOSS, '--json'])).stdout,
    );
    expect(doomed).toEqual({ app_id: 'doomed', app_token: expect.stringMatching(/^pyat_/) });

    const table = await pylon(['app', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^APP +OWNER +STATUS +CREATED +DESCRIPTION$/);
    expect(table.stdout).toMatch(/example +boss@example\.com +active +\d{4}-\d\d-\d\dT[\d:]+Z +Example/);
    const json = JSON.parse((await pylon(['app', 'list', '--json'])).stdout);
    expect(json.apps.map((app: { app_id: string }) => app.app_id).sort()).toEqual(['doomed', 'example']);

    const duplicate = await pylon(['app', 'register', '--name', 'example', '--owner', BOSS]);
    expect(duplicate.code).toBe(6);
    expect(duplicate.stderr).toContain('error: Pylon returned 409: POST /apps → app_exists');
  });

  it('someone without pylon:app.manage gets exit 6 with the server’s reason', async () => {
    const denied = await pylon(['app', 'list'], { env: { PYLON_SESSION_TOKEN: aliceToken } });
    expect(denied.code).toBe(6);
    expect(denied.stderr).toContain('Pylon returned 403: GET /apps → insufficient_capability');
  });

  it('schema prepare + push (token from the environment, then from stdin); schema current', async () => {
    const prepared = file('schema.prepared.json');
    expect(
      (await pylon(['schema', 'prepare', '--source', BARE_PATH, '--app', 'example', '--out', prepared])).code,
    ).toBe(0);
    const pushed = await pylon(['schema', 'push', '--app', 'example', '--file', prepared], {
      env: { PYLON_APP_TOKEN: appToken },
    });
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toBe('accepted: version 1 is current\n');

    const bare = parseSchemaSource(BARE);
    bare.version_tag = '0.1.1';
    bare.capabilities.push({ name: 'world.delete' });
    bare.archetypes.push({ name: 'janitor', capabilities: ['world.delete'] });
    writeFileSync(file('additive.yaml'), stringify(bare));
    await pylon([
      'schema',
      'prepare',
      '--source',
      file('additive.yaml'),
      '--app',
      'example',
      '--out',
      file('additive.json'),
    ]);
    const fromStdin = await pylon(
      ['schema', 'push', '--app', 'example', '--file', file('additive.json'), '--app-token', '-'],
      {
        stdin: `${appToken}\n`,
      },
    );
    expect(fromStdin.stdout).toBe('accepted: version 2 is current\n');

    const current = await pylon(['schema', 'current', '--app', 'example']);
    expect(current.code).toBe(0);
    expect(current.stdout).toContain('example: version 2 (0.1.1), pushed by app:example');
    expect(current.stdout).toMatch(/example:janitor +example:world\.delete/);
    const currentJSON = JSON.parse((await pylon(['schema', 'current', '--app', 'example', '--json'])).stdout);
    expect(currentJSON).toMatchObject({ version: 2, version_tag: '0.1.1' });
  });

  it('role grant (bare names are namespaced), list, revoke', async () => {
    const granted = await pylon([
      'role',
      'grant',
      '--email',
      ALICE,
      '--app',
      'example',
      '--archetype',
      'user',
      '--capability',
      'world.delete',
    ]);
    expect(granted.code).toBe(0);
    expect(granted.stderr).toContain(`granted example:user in example to ${ALICE}`);
    const table = await pylon(['role', 'list', '--app', 'example']);
    expect(table.stdout).toMatch(new RegExp(`${ALICE} +example:user +example:world\\.delete +\\S+ +${BOSS}`));
    const json = JSON.parse((await pylon(['role', 'list', '--app', 'example', '--json'])).stdout);
    expect(json.roles).toEqual([
      expect.objectContaining({ email: ALICE, email_hash: hashEmail(ALICE), archetype: 'example:user' }),
    ]);

    await pylon([
      'role',
      'grant',
      '--email',
      'bob@example.com',
      '--app',
      'example',
      '--archetype',
      'example:viewer',
    ]);
    const byHash = await pylon([
      'role',
      'revoke',
      '--app',
      'example',
      '--email-hash',
      hashEmail('bob@example.com'),
      '--json',
    ]);
    expect(JSON.parse(byHash.stdout)).toEqual({
      app_id: 'example',
      email_hash: hashEmail('bob@example.com'),
      revoked: true,
    });
    const again = await pylon(['role', 'revoke', '--app', 'example', '--email', 'bob@example.com']);
    expect(again.code).toBe(6);
    expect(again.stderr).toContain(
      `error: Pylon returned 404: DELETE /roles/example/${hashEmail('bob@example.com')} → grant_not_found: No such grant`,
    );
    const invalid = await pylon([
      'role',
      'grant',
      '--email',
      ALICE,
      '--app',
      'example',
      '--archetype',
      'nope',
    ]);
    expect(invalid.code).toBe(6);
    expect(invalid.stderr).toContain('invalid_archetype');
  });

  it('a destructive change: diff says it waits, push leaves it pending, approve makes it current', async () => {
    const bare = parseSchemaSource(BARE);
    bare.version_tag = '0.2.0';
    bare.archetypes = bare.archetypes
      .filter((a) => a.name !== 'viewer')
      .map((a) => (a.name === 'user' ? { ...a, capabilities: ['world.read'] } : a));
    writeFileSync(file('destructive.yaml'), stringify(bare));
    await pylon([
      'schema',
      'prepare',
      '--source',
      file('destructive.yaml'),
      '--app',
      'example',
      '--out',
      file('d.json'),
    ]);

    const diff = await pylon(['schema', 'diff', '--app', 'example', '--file', file('d.json')]);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('a push would wait for approval (current version: 2; destructive)');
    expect(diff.stdout).toContain('  - archetype_removed example:viewer');
    const diffByApp = JSON.parse(
      (
        await pylon(['schema', 'diff', '--app', 'example', '--file', file('d.json'), '--json'], {
          env: { PYLON_APP_TOKEN: appToken },
        })
      ).stdout,
    );
    expect(diffByApp).toMatchObject({ would: 'pending_approval', diff: { kind: 'destructive' } });

    const pushed = await pylon(['schema', 'push', '--app', 'example', '--file', file('d.json')], {
      env: { PYLON_APP_TOKEN: appToken },
    });
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toContain(
      'pending approval: version 3 waits for an admin; version 2 keeps serving',
    );
    expect(pushed.stdout).toContain('approve with: pylon schema approve --app example --version 3');

    const listed = await pylon(['schema', 'list', '--app', 'example']);
    expect(listed.stdout).toMatch(/^3 +0\.2\.0 +pending +app:example/m);
    expect(listed.stdout).toMatch(/^2 +0\.1\.1 +current/m);

    const wrong = await pylon(['schema', 'approve', '--app', 'example', '--version', '9']);
    expect(wrong.code).toBe(6);
    expect(wrong.stderr).toContain('nothing_pending');
    const approved = await pylon(['schema', 'approve', '--app', 'example', '--version', '3']);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('approved: version 3 of example is current');
    const after = JSON.parse((await pylon(['schema', 'list', '--app', 'example', '--json'])).stdout);
    expect(after).toMatchObject({ current_version: 3, pending_version: null });
  });

  it('rotate-token: the old token is refused at once; disable', async () => {
    const rotated = await pylon(['app', 'rotate-token', '--id', 'example']);
    expect(rotated.stdout).toMatch(/^pyat_/);
    const stale = await pylon(['schema', 'push', '--app', 'example', '--file', file('d.json')], {
      env: { PYLON_APP_TOKEN: appToken },
    });
    expect(stale.code).toBe(6);
    expect(stale.stderr).toContain('Pylon returned 401: POST /apps/example/schema → app_token_invalid');
    appToken = rotated.stdout.trim();
    const disabled = await pylon(['app', 'disable', '--id', 'doomed', '--json']);
    expect(JSON.parse(disabled.stdout)).toEqual({ app_id: 'doomed', status: 'disabled' });
  });

  it('audit tail: a page as a table, filtered by action, or as JSON', async () => {
    const json = JSON.parse((await pylon(['audit', 'tail', '--limit', '1000', '--json'])).stdout);
    const actions = new Set(json.entries.map((entry: { action: string }) => entry.action));
    for (const action of [
      'app.registered',
      'app.disabled',
      'app.token_rotated',
      'role.granted',
      'role.revoked',
      'schema.pushed',
      'schema.approved',
    ]) {
      expect(actions).toContain(action);
    }
    const granted = await pylon(['audit', 'tail', '--action', 'role.granted']);
    expect(granted.code).toBe(0);
    expect(granted.stdout.split('\n')[0]).toMatch(/^TIME +ACTION +ACTOR +TARGET +DETAIL$/);
    expect(granted.stdout).not.toContain('app.registered');
    // From a starting point the log pages; without one the server answers the latest entries.
    const paged = await pylon(['audit', 'tail', '--limit', '2', '--since', '0']);
    expect(paged.stderr).toMatch(/more entries: pylon audit tail --cursor \S+/);
    const latest = await pylon(['audit', 'tail', '--limit', '2', '--json']);
    expect(JSON.parse(latest.stdout).entries).toEqual(json.entries.slice(-2));
  });

  it('audit tail --follow pages to the end, prints each new entry once, and stops on interrupt', async () => {
    const controller = new AbortController();
    let waits = 0;
    const environment = testEnvironment({
      home: home.home,
      env: PIN,
      interrupt: controller.signal,
      sleep: async () => {
        waits++;
        if (waits === 1) {
          // Something happens while the tail waits; the clock is frozen, so it shares a timestamp.
          await t.request('/roles', {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              email: 'carol@example.com',
              app_id: 'example',
              archetype: 'example:user',
            }),
          });
        }
        if (waits === 3) controller.abort();
      },
    });
    const code = await runCLI(
      ['audit', 'tail', '--follow', '--json', '--limit', '5', '--since', '0'],
      environment,
    );
    expect(code).toBe(0);
    const lines = environment
      .stdoutText()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const all = JSON.parse((await pylon(['audit', 'tail', '--limit', '1000', '--json'])).stdout).entries;
    expect(lines).toEqual(all);
    expect(lines.filter((entry: { target?: string }) => entry.target === 'carol@example.com')).toHaveLength(
      1,
    );
  });

  it('logout revokes the session on the server and deletes it here; then exit 7', async () => {
    const result = await pylon(['logout']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('logged out of default\n');
    const revoked = await t.request('/whoami', { headers: { authorization: `Bearer ${bossToken}` } });
    expect(revoked.status).toBe(401);
    expect((await pylon(['whoami'])).code).toBe(7);
    expect((await pylon(['logout'])).stderr).toContain('no session stored for default');
  });

  it('forget removes the org from the config', async () => {
    const result = await pylon(['forget', '--org', 'default']);
    expect(result.code).toBe(0);
    expect(readFileSync(file('.pylon/config.yaml'), 'utf8')).not.toContain('default');
    expect((await pylon(['app', 'list'])).code).toBe(2);
    expect((await pylon(['forget', '--org', 'default'])).code).toBe(2);
  });

  it('headless: PYLON_ORG_URL and PYLON_SESSION_TOKEN with no config at all', async () => {
    const fresh = await signIn(BOSS);
    const result = await run(['app', 'list', '--json'], {
      home: temporaryHome().home,
      env: { PYLON_ORG_URL: publicURL, PYLON_SESSION_TOKEN: fresh },
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).apps).toHaveLength(2);
  });

  it('login against the real device routes (skipped until the server has them)', async (context) => {
    const probe = await t.request('/device/init', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client: 'probe', org_id: 'default' }),
    });
    if (probe.status === 404) return context.skip();
    const loginHome = temporaryHome();
    const approver = await signIn(ALICE);
    let approved = false;
    const environment = testEnvironment({
      home: loginHome.home,
      env: PIN,
      sleep: async (ms) => {
        t.clock.advance(ms);
        if (approved) return;
        const userCode = /enter the code: +(\S+)/.exec(environment.stderrText())?.[1];
        const completed = await t.request('/device/complete', {
          method: 'POST',
          headers: { authorization: `Bearer ${approver}`, 'content-type': 'application/json' },
          body: JSON.stringify({ user_code: userCode, approve: true }),
        });
        approved = completed.status === 200;
      },
      now: () => t.clock.now(),
    });
    try {
      const code = await runCLI(['login', '--org-url', publicURL], environment);
      expect(environment.stderrText()).toContain(`logged in to default as ${ALICE}`);
      expect(code).toBe(0);
    } finally {
      loginHome.remove();
    }
  });
});
