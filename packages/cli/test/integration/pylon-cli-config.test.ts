import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Listening } from '../../../server/src/platform/listen.js';
import { testDatabases } from '../../../server/test/support/databases.js';
import { listenAhead } from '../../../server/test/support/listen-ahead.js';
import { startTestServer, type TestServer } from '../../../server/test/support/server.js';
import { runCLI } from '../../src/program.js';
import { run, temporaryHome, testEnvironment } from '../support/environment.js';
import { signInByCode } from '../support/sign-in.js';

const PIN = { PYLON_CLI_VERSION_OVERRIDE: '0.0.0-test' };

/**
 * A config written the way the public pylon-cli documents it (its docs/CLI.md and src/config.ts):
 * `default: true` on the org, and `api_url` the bare origin, which discovery answers as the org's
 * full base (`…/o/default`). The same file must work with this CLI, against a real Pylon.
 */
describe('a config file written for pylon-cli', () => {
  let t: TestServer;
  let listening: Listening;
  let origin: string;
  let home: ReturnType<typeof temporaryHome>;
  const configFile = () => join(home.home, '.pylon', 'config.yaml');

  beforeAll(async () => {
    const held = await listenAhead();
    listening = held;
    origin = `http://127.0.0.1:${listening.port}`;
    t = await startTestServer(testDatabases[0]!, { env: { PYLON_PUBLIC_URL: origin } });
    held.serve(t.server.fetch);
    home = temporaryHome();
    mkdirSync(join(home.home, '.pylon'));
    writeFileSync(
      configFile(),
      `default_org: default\norgs:\n  - id: default\n    api_url: ${origin}\n    default: true\n`,
    );
  });

  afterAll(async () => {
    await listening?.close(100);
    await t?.close();
    home?.remove();
  });

  it('logs in with it, and keeps the file as its author wrote it', async () => {
    const approver = await signInByCode(t, 'ada@example.com');
    let approved = false;
    const environment = testEnvironment({
      home: home.home,
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
    const code = await runCLI(['login'], environment);
    expect(environment.stderrText()).toContain('logged in to default as ada@example.com');
    expect(code).toBe(0);
    expect(parse(readFileSync(configFile(), 'utf8'))).toEqual({
      default_org: 'default',
      orgs: [{ id: 'default', api_url: origin, default: true }],
    });

    const whoami = await run(['whoami', '--json'], { home: home.home, env: PIN });
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ email: 'ada@example.com', org_id: 'default' });
    // Logging in again re-discovers the org at the bare origin: the same org, no mismatch.
    const again = await run(['login'], { home: home.home, env: PIN });
    expect(again.stderr).toContain('already logged in to default as ada@example.com');
    expect(again.code).toBe(0);
    const use = await run(['use', '--org-url', origin], { home: home.home, env: PIN });
    expect(use.code).toBe(0);
    expect(parse(readFileSync(configFile(), 'utf8')).orgs).toEqual([
      { id: 'default', api_url: origin, default: true },
    ]);
  });
});
