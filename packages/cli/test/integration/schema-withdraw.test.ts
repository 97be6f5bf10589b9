import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareSchema } from '@pylon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listening } from '../../../server/src/platform/listen.js';
import { testDatabases } from '../../../server/test/support/databases.js';
import { listenAhead } from '../../../server/test/support/listen-ahead.js';
import { startTestServer, type TestServer } from '../../../server/test/support/server.js';
import { run, temporaryHome } from '../support/environment.js';

const ADMIN = 'admin-token-for-withdraw-tests-0123456789';
const V1 =
  'version_tag: "1"\ncapabilities: [{name: a}, {name: b}]\narchetypes: [{name: x, capabilities: [a, b]}]\n';
const V2 = 'version_tag: "2"\ncapabilities: [{name: a}]\narchetypes: [{name: x, capabilities: [a]}]\n';

/** `pylon schema withdraw` against a Pylon listening on loopback. */
describe('pylon schema withdraw', () => {
  let t: TestServer;
  let listening: Listening;
  let home: ReturnType<typeof temporaryHome>;
  let publicURL: string;
  let appToken: string;
  const pylon = (argv: string[], env: Record<string, string> = {}) =>
    run([...argv, '--org-url', publicURL], { home: home.home, env: { PYLON_SESSION_TOKEN: ADMIN, ...env } });
  const push = async (source: string) => {
    const response = await t.request('/apps/notes/schema', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pylon-app-token': appToken },
      body: prepareSchema(source, 'notes', { cliVersion: '0.3.1' }),
    });
    return ((await response.json()) as { status: string }).status;
  };

  beforeAll(async () => {
    const held = await listenAhead();
    listening = held;
    publicURL = `http://127.0.0.1:${listening.port}`;
    t = await startTestServer(testDatabases[0]!, {
      env: { PYLON_PUBLIC_URL: publicURL, PYLON_ADMIN_TOKEN: ADMIN },
    });
    held.serve(t.server.fetch);
    home = temporaryHome();
    const registered = await t.request('/apps', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ name: 'notes', owner: 'ops@example.com' }),
    });
    appToken = ((await registered.json()) as { app_token: string }).app_token;
    writeFileSync(join(home.home, 'token'), appToken);
  });

  afterAll(async () => {
    await listening?.close(100);
    await t?.close();
    home?.remove();
  });

  it('withdraws the pending version with the session or the app token; nothing pending is exit 6', async () => {
    expect(await push(V1)).toBe('accepted');
    const none = await pylon(['schema', 'withdraw', '--app', 'notes']);
    expect(none.code).toBe(6);
    expect(none.stderr).toContain('nothing_pending');

    expect(await push(V2)).toBe('pending_approval');
    const bySession = await pylon(['schema', 'withdraw', '--app', 'notes']);
    expect(bySession.code).toBe(0);
    expect(bySession.stdout).toContain(
      'withdrawn: version 2 of notes will not become current; version 1 keeps serving',
    );

    expect(await push(V2.replace('"2"', '"3"'))).toBe('pending_approval');
    const byAppToken = await pylon(['schema', 'withdraw', '--app', 'notes', '--json'], {
      PYLON_APP_TOKEN: appToken,
      PYLON_SESSION_TOKEN: '',
    });
    expect(byAppToken.code).toBe(0);
    expect(JSON.parse(byAppToken.stdout)).toEqual({ status: 'withdrawn', version: 3, current_version: 1 });
    const wrongToken = await pylon(['schema', 'withdraw', '--app', 'notes', '--app-token', 'pyat_wrong']);
    expect(wrongToken.code).toBe(6);
  });
});
