import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareSchema } from '@pylon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listening } from '../../../server/src/platform/listen.js';
import { testDatabases } from '../../../server/test/support/databases.js';
import { listenAhead } from '../../../server/test/support/listen-ahead.js';
import { startTestServer, type TestServer } from '../../../server/test/support/server.js';
import { run, temporaryHome } from '../support/environment.js';

const ADMIN = 'admin-token-for-schema-check-tests-0123456789';
const V1 =
  'version_tag: "1"\ncapabilities: [{name: a, description: "Read"}, {name: b}]\narchetypes: [{name: x, capabilities: [a, b]}]\n';
const V2 =
  'version_tag: "2"\ncapabilities: [{name: a, description: "Read"}, {name: c}]\narchetypes: [{name: x, capabilities: [a, c]}]\n';

/**
 * `pylon schema prepare --check` as pylon-cli 0.3.1 runs it (without `--out`): the source against
 * the schema deployed on a real Pylon, read with the session; with `--out`, against that file.
 */
describe('pylon schema prepare --check', () => {
  let t: TestServer;
  let listening: Listening;
  let home: ReturnType<typeof temporaryHome>;
  let publicURL: string;
  const file = (name: string, text?: string) => {
    const path = join(home.home, name);
    if (text !== undefined) writeFileSync(path, text);
    return path;
  };
  const pylon = (argv: string[], env: Record<string, string> = {}) =>
    run(argv, {
      home: home.home,
      env: {
        PYLON_CLI_VERSION_OVERRIDE: '0.0.0-test',
        PYLON_SESSION_TOKEN: ADMIN,
        PYLON_ORG_URL: publicURL,
        ...env,
      },
    });
  const check = (source: string, app = 'notes', env: Record<string, string> = {}) =>
    pylon(
      [
        'schema',
        'prepare',
        '--source',
        file(`${app}-${source.length}.yaml`, source),
        '--app',
        app,
        '--check',
      ],
      env,
    );

  beforeAll(async () => {
    const held = await listenAhead();
    listening = held;
    publicURL = `http://127.0.0.1:${listening.port}`;
    t = await startTestServer(testDatabases[0]!, {
      env: { PYLON_PUBLIC_URL: publicURL, PYLON_ADMIN_TOKEN: ADMIN },
    });
    held.serve(t.server.fetch);
    home = temporaryHome();
    for (const name of ['notes', 'empty']) {
      const registered = await t.request('/apps', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify({ name, owner: 'ops@example.com' }),
      });
      const { app_token: appToken } = (await registered.json()) as { app_token: string };
      if (name !== 'notes') continue;
      // Pushed as another CLI version prepared it: the marker is not part of the comparison.
      const pushed = await t.request('/apps/notes/schema', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-pylon-app-token': appToken },
        body: prepareSchema(V1, 'notes', { cliVersion: '0.3.1' }),
      });
      expect(pushed.status).toBe(200);
    }
  });

  afterAll(async () => {
    await listening?.close(100);
    await t?.close();
    home?.remove();
  });

  it('exit 0 and silent when the deployed schema is what the source prepares to', async () => {
    const same = await check(V1);
    expect(same).toMatchObject({ code: 0, stdout: '', stderr: '' });
    // Formatting and order of the source do not matter, only the prepared body.
    const reordered = await check(
      'archetypes: [{name: x, capabilities: [b, a]}]\ncapabilities: [{name: b}, {name: a, description: "Read"}]\nversion_tag: "1"\n',
    );
    expect(reordered.code).toBe(0);
  });

  it('exit 12 with a line diff on stdout when it drifted; nothing is written', async () => {
    const drift = await check(V2);
    expect(drift.code).toBe(12);
    expect(drift.stderr).toContain(
      'error: the prepared schema for notes differs from the deployed one (current version 1)',
    );
    const lines = drift.stdout.split('\n');
    expect(lines[0]).toBe('schema drift between deployed (current) and prepared (-/+ below):');
    expect(lines).toContain('-       "name": "notes:b"');
    expect(lines).toContain('+       "name": "notes:c"');
    expect(lines).toContain('-   "version_tag": "1"');
    expect(lines).toContain('+   "version_tag": "2"');
    expect(lines).toContain('        "name": "notes:a"');
  });

  it('needs a session (exit 7), a deployed schema (exit 6) and a valid source (exit 11, before any request)', async () => {
    const noSession = await check(V1, 'notes', { PYLON_SESSION_TOKEN: '' });
    expect(noSession.code).toBe(7);
    const nothingPushed = await check(V1, 'empty');
    expect(nothingPushed.code).toBe(6);
    expect(nothingPushed.stderr).toContain('404');
    const invalid = await check(
      'version_tag: "1"\ncapabilities: []\narchetypes: [{name: x, capabilities: [ghost]}]\n',
      'notes',
      {
        PYLON_ORG_URL: 'http://127.0.0.1:1',
      },
    );
    expect(invalid.code).toBe(11);
  });

  it('with --out it still compares with that file, offline', async () => {
    const source = file('v1.yaml', V1);
    const out = file('notes.prepared.json');
    expect(
      (await pylon(['schema', 'prepare', '--source', source, '--app', 'notes', '--out', out])).code,
    ).toBe(0);
    const offline = { PYLON_ORG_URL: '', PYLON_SESSION_TOKEN: '' };
    const upToDate = await pylon(
      ['schema', 'prepare', '--source', source, '--app', 'notes', '--out', out, '--check'],
      offline,
    );
    expect(upToDate.code).toBe(0);
    expect(upToDate.stderr).toContain('is up to date');
    writeFileSync(source, V2);
    const stale = await pylon(
      ['schema', 'prepare', '--source', source, '--app', 'notes', '--out', out, '--check'],
      offline,
    );
    expect(stale.code).toBe(12);
    expect(readFileSync(out, 'utf8')).toContain('"version_tag": "1"');
  });
});
