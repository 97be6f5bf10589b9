import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, saveConfig } from '../../src/config/config-store.js';
import { canOpenBrowser } from '../../src/login/desktop.js';
import { classifyPoll, parseDeviceAuthorization } from '../../src/login/device-flow.js';
import { FileSessionStore } from '../../src/session/file-session-store.js';
import { run, type TestEnvironmentOptions, temporaryHome } from '../support/environment.js';
import { type LoopbackServer, sendJSON, startLoopbackServer } from '../support/loopback-server.js';

const SESSION = `pylon_${'ab'.repeat(32)}`;
const VALID_OLD_SESSION = 'pylon_still_valid';

/**
 * A fake device-login peer on loopback (docs/API.md shapes): /discover, /device/init, /device/poll
 * with RFC 8628 slow_down, /whoami. It reads the test's clock, so polling is checked in fake time.
 */
interface DeviceScenario {
  /** What the init answer says. */
  interval: number;
  expiresIn: number;
  /** What the server enforces between polls (slow_down when faster). */
  enforcedInterval: number;
  /** The poll (counting only accepted ones) that returns the final status. */
  finalAfter: number;
  final: 'authorised' | 'expired' | 'denied' | 'never';
  verificationURL?: (base: string) => string;
  discoveredId?: string;
}

describe('pylon login (device code, RFC 8628)', () => {
  let server: LoopbackServer;
  let scenario: DeviceScenario;
  let clock: number;
  let sleeps: number[];
  let polls: { at: number; answer: string; deviceCode: string | null }[];
  let inits: unknown[];
  let lastPoll: number | undefined;
  let home: ReturnType<typeof temporaryHome>;

  beforeAll(async () => {
    server = await startLoopbackServer((request, response, body) => {
      const url = new URL(request.url ?? '/', server.url);
      const path = url.pathname.replace(/^\/o\/acme/, '');
      if (path === '/discover') {
        const id = scenario.discoveredId ?? 'acme';
        return sendJSON(response, 200, { id, name: 'Acme', api_url: `${server.url}/o/${id}` });
      }
      if (path === '/whoami') {
        const bearer = request.headers.authorization?.replace(/^Bearer /, '');
        if (bearer === SESSION || bearer === VALID_OLD_SESSION) {
          return sendJSON(response, 200, {
            email: 'ada@example.com',
            org_id: 'acme',
            archetype: null,
            session_expires_at: 0,
          });
        }
        return sendJSON(response, 401, { error: 'no_session' });
      }
      if (path === '/device/init' && request.method === 'POST') {
        inits.push(JSON.parse(body));
        return sendJSON(response, 200, {
          device_code: 'dev-code-1',
          user_code: 'WDJB-MJHT',
          verification_url: scenario.verificationURL?.(server.url) ?? `${server.url}/o/acme/device`,
          verification_url_complete: `${server.url}/o/acme/device?user_code=WDJB-MJHT`,
          expires_in: scenario.expiresIn,
          interval: scenario.interval,
        });
      }
      if (path === '/device/poll') {
        const deviceCode = url.searchParams.get('device_code');
        if (lastPoll !== undefined && clock - lastPoll < scenario.enforcedInterval * 1000) {
          polls.push({ at: clock, answer: 'slow_down', deviceCode });
          lastPoll = clock;
          return sendJSON(response, 429, { error: 'slow_down' });
        }
        lastPoll = clock;
        const accepted = polls.filter((p) => p.answer !== 'slow_down').length + 1;
        const status =
          accepted >= scenario.finalAfter && scenario.final !== 'never' ? scenario.final : 'pending';
        polls.push({ at: clock, answer: status, deviceCode });
        return sendJSON(
          response,
          200,
          status === 'authorised' ? { status, session_jwt: SESSION } : { status },
        );
      }
      sendJSON(response, 404, { error: 'not_found' });
    });
  });
  afterAll(() => server.close());

  beforeEach(() => {
    home = temporaryHome();
    clock = 1_000_000;
    sleeps = [];
    polls = [];
    inits = [];
    lastPoll = undefined;
    scenario = { interval: 5, expiresIn: 600, enforcedInterval: 5, finalAfter: 3, final: 'authorised' };
  });
  afterEach(() => home.remove());

  const options = (extra: TestEnvironmentOptions = {}): TestEnvironmentOptions => ({
    home: home.home,
    env: { PYLON_CLI_VERSION_OVERRIDE: '0.0.0-test', ...extra.env },
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== 'env')),
  });
  const sessionFile = () => join(home.home, '.pylon', 'sessions', 'acme');

  it('prints the code and URL, polls every interval, stores the session (file fallback, 0600) and the org', async () => {
    const result = await run(['login', '--org-url', server.url], options());
    expect(result.code).toBe(0);
    expect(inits).toEqual([{ client: 'pylon-cli/0.0.0-test', org_id: 'acme' }]);
    expect(result.stderr).toContain(`${server.url}/o/acme/device`);
    expect(result.stderr).toContain('WDJB-MJHT');
    expect(result.stderr).toContain('logged in to acme as ada@example.com');
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toContain(SESSION);
    expect(sleeps).toEqual([5000, 5000, 5000]);
    expect(polls.map((p) => p.answer)).toEqual(['pending', 'pending', 'authorised']);
    expect(polls.every((p) => p.deviceCode === 'dev-code-1')).toBe(true);
    expect(readFileSync(sessionFile(), 'utf8').trim()).toBe(SESSION);
    if (process.platform !== 'win32') expect(statSync(sessionFile()).mode & 0o777).toBe(0o600);
    expect(await loadConfig(join(home.home, '.pylon', 'config.yaml'))).toEqual({
      default_org: 'acme',
      orgs: [{ id: 'acme', api_url: `${server.url}/o/acme` }],
    });
  });

  it('RFC 8628 §3.5: slow_down adds 5 s to this and every later interval', async () => {
    scenario = { ...scenario, enforcedInterval: 10, finalAfter: 2 };
    // The first poll comes 5 s after init, but the server counts from its own last answer:
    lastPoll = clock;
    const result = await run(['login', '--org-url', server.url], options());
    expect(result.code).toBe(0);
    expect(polls.map((p) => p.answer)).toEqual(['slow_down', 'pending', 'authorised']);
    expect(sleeps).toEqual([5000, 10_000, 10_000]);
  });

  it('exit 4 when expires_in passes without approval', async () => {
    scenario = { ...scenario, expiresIn: 12, final: 'never' };
    const result = await run(['login', '--org-url', server.url], options());
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/error: device authorisation failed: the code expired/);
    expect(polls).toHaveLength(2);
    expect(() => readFileSync(sessionFile())).toThrow();
  });

  it.each(['expired', 'denied'] as const)('exit 4 when the server answers status %s', async (final) => {
    scenario = { ...scenario, final, finalAfter: 1 };
    const result = await run(['login', '--org-url', server.url], options());
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(final === 'denied' ? 'denied' : 'expired');
    // The server answers a denial as `expired` too, so that answer names both.
    if (final === 'expired') {
      expect(result.stderr).toContain('the code expired or the sign-in was denied in the browser');
    }
  });

  it('exit 3 when the verification URL is on another origin', async () => {
    scenario = { ...scenario, verificationURL: () => 'http://127.0.0.2:9/device' };
    const result = await run(['login', '--org-url', server.url], options());
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('verification_url');
    expect(polls).toHaveLength(0);
  });

  it('an existing valid session means "already logged in"; --replace signs in again', async () => {
    await new FileSessionStore(join(home.home, '.pylon', 'sessions')).set('acme', VALID_OLD_SESSION);
    const again = await run(['login', '--org-url', server.url], options());
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already logged in to acme as ada@example.com');
    expect(inits).toHaveLength(0);

    const replaced = await run(['login', '--org-url', server.url, '--replace'], options());
    expect(replaced.code).toBe(0);
    expect(inits).toHaveLength(1);
    expect(readFileSync(sessionFile(), 'utf8').trim()).toBe(SESSION);
  });

  it('a stored session the server no longer knows does not count', async () => {
    await new FileSessionStore(join(home.home, '.pylon', 'sessions')).set('acme', 'pylon_revoked');
    const result = await run(['login', '--org-url', server.url], options());
    expect(result.code).toBe(0);
    expect(inits).toHaveLength(1);
  });

  it('a configured org is discovered again at login; a different org there is exit 8', async () => {
    await saveConfig(join(home.home, '.pylon', 'config.yaml'), {
      default_org: 'acme',
      orgs: [{ id: 'acme', api_url: `${server.url}/o/acme` }],
    });
    scenario = { ...scenario, discoveredId: 'impostor' };
    const result = await run(['login'], options());
    expect(result.code).toBe(8);
    expect(result.stderr).toContain('cached org does not match discovery');
    expect(result.stderr).toContain('pylon forget --org acme');
  });

  it('opens a browser only on a desktop and not under CI', async () => {
    const opened: string[] = [];
    const openBrowser = (url: string) => void opened.push(url);
    await run(['login', '--org-url', server.url], options({ env: { DISPLAY: ':0' }, openBrowser }));
    expect(opened).toEqual([`${server.url}/o/acme/device?user_code=WDJB-MJHT`]);
    await run(
      ['login', '--org-url', server.url, '--replace'],
      options({ env: { DISPLAY: ':0', CI: 'true' }, openBrowser }),
    );
    await run(['login', '--org-url', server.url, '--replace'], options({ openBrowser }));
    await run(
      ['login', '--org-url', server.url, '--replace', '--no-browser'],
      options({ env: { DISPLAY: ':0' }, openBrowser }),
    );
    expect(opened).toHaveLength(1);
  });

  it('Ctrl-C while waiting exits 130 and stores nothing', async () => {
    const controller = new AbortController();
    scenario = { ...scenario, final: 'never' };
    const result = await run(
      ['login', '--org-url', server.url],
      options({
        interrupt: controller.signal,
        sleep: async (ms) => {
          clock += ms;
          if (polls.length === 2) controller.abort();
        },
      }),
    );
    expect(result.code).toBe(130);
    expect(() => readFileSync(sessionFile())).toThrow();
  });
});

describe('device flow, pure parts', () => {
  const api = 'https://pylon.acme.test/o/acme';
  const init = {
    device_code: 'd',
    user_code: 'U',
    verification_url: 'https://pylon.acme.test/o/acme/device?user_code=U',
    expires_in: 600,
  };

  it('defaults the interval to 5 s (RFC 8628 §3.2) and keeps a query on the verification URL', () => {
    expect(parseDeviceAuthorization(init, api)).toMatchObject({
      interval: 5,
      verification_url: 'https://pylon.acme.test/o/acme/device?user_code=U',
    });
  });

  it('refuses a verification URL off the origin, or a missing field (exit 3)', () => {
    expect(() =>
      parseDeviceAuthorization({ ...init, verification_url: 'https://evil.test/device' }, api),
    ).toThrow(expect.objectContaining({ exitCode: 3 }));
    expect(() =>
      parseDeviceAuthorization(
        { ...init, verification_url_complete: 'https://evil.test/d?user_code=U' },
        api,
      ),
    ).toThrow(expect.objectContaining({ exitCode: 3 }));
    expect(() => parseDeviceAuthorization({ ...init, device_code: undefined }, api)).toThrow(
      expect.objectContaining({ exitCode: 3 }),
    );
  });

  it('classifies poll answers, including RFC 8628 error codes', () => {
    expect(classifyPoll({ status: 200, body: { status: 'pending' } })).toEqual({ kind: 'pending' });
    expect(classifyPoll({ status: 429, body: { error: 'slow_down' } })).toEqual({ kind: 'slow_down' });
    expect(classifyPoll({ status: 200, body: { status: 'authorised', session_jwt: 't' } })).toEqual({
      kind: 'authorised',
      sessionToken: 't',
    });
    expect(classifyPoll({ status: 200, body: { status: 'authorised' } })).toEqual({ kind: 'unexpected' });
    expect(classifyPoll({ status: 400, body: { error: 'authorization_pending' } })).toEqual({
      kind: 'pending',
    });
    expect(classifyPoll({ status: 400, body: { error: 'expired_token' } })).toEqual({ kind: 'expired' });
    expect(classifyPoll({ status: 400, body: { error: 'access_denied' } })).toEqual({ kind: 'denied' });
    expect(classifyPoll({ status: 500, body: undefined })).toEqual({ kind: 'unexpected' });
  });

  it('a browser is opened on macOS, Windows or with a display, never under CI', () => {
    expect(canOpenBrowser({}, 'darwin')).toBe(true);
    expect(canOpenBrowser({}, 'win32')).toBe(true);
    expect(canOpenBrowser({}, 'linux')).toBe(false);
    expect(canOpenBrowser({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe(true);
    expect(canOpenBrowser({ DISPLAY: ':0', CI: 'true' }, 'linux')).toBe(false);
    expect(canOpenBrowser({ CI: '1' }, 'darwin')).toBe(false);
    expect(canOpenBrowser({ DISPLAY: ':0', CI: 'false' }, 'linux')).toBe(true);
  });
});
