import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PersonAtBrowser } from '../../../../test/e2e/mcp-oauth-support.js';
import type { Listening } from '../../../server/src/platform/listen.js';
import { testDatabases } from '../../../server/test/support/databases.js';
import { listenAhead } from '../../../server/test/support/listen-ahead.js';
import { startTestServer, type TestServer } from '../../../server/test/support/server.js';
import { temporaryHome } from '../support/environment.js';
import { freePort } from '../support/loopback-server.js';

const BIN = fileURLToPath(new URL('../../dist/bin/pylon.js', import.meta.url));
const ADMIN = 'admin-token-for-the-oauth-cli-test-0123456789';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `pylon oauth …` as child processes of the built binary against a real Pylon on loopback: the
 * org's clients with the admin token (it holds `pylon:app.manage`), and a person's own consents
 * with the session she got signing in on the hosted pages, where she consented.
 */
describe.skipIf(!existsSync(BIN)).each(testDatabases)('pylon oauth commands on $kind', (database) => {
  let t: TestServer;
  let listening: Listening;
  let url: string;
  const home = temporaryHome();

  const pylon = (args: string[], session: string) =>
    new Promise<Result>((resolve) => {
      const inherited = Object.fromEntries(
        Object.entries(process.env).filter(([key]) => !key.startsWith('PYLON_') && key !== 'NODE_OPTIONS'),
      );
      const env = {
        ...inherited,
        HOME: home.home,
        USERPROFILE: home.home,
        PYLON_KEYRING: 'file',
        PYLON_ORG_URL: url,
        PYLON_SESSION_TOKEN: session,
      };
      execFile(process.execPath, [BIN, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  const admin = (args: string[]) => pylon(args, ADMIN);

  beforeAll(async () => {
    const held = await listenAhead();
    listening = held;
    url = `http://127.0.0.1:${listening.port}`;
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_PUBLIC_URL: url } });
    held.serve(t.server.fetch);
  });
  afterAll(async () => {
    await listening?.close(100);
    await t?.close();
    home.remove();
  });

  let publicClient = '';

  // Each command is a child process (slow on a busy machine), hence the long timeouts.
  it(
    'client create (public, then confidential with its secret once), list, and bad input',
    { timeout: 120_000 },
    async () => {
      const callback = `http://127.0.0.1:${await freePort()}/callback`;
      const created = await admin([
        'oauth',
        'client',
        'create',
        '--name',
        'Notes desktop',
        '--redirect-uri',
        callback,
      ]);
      expect(created.code, created.stderr).toBe(0);
      publicClient = created.stdout.trim();
      expect(publicClient).toMatch(/^\S+$/);
      expect(created.stderr).toContain('public OAuth client Notes desktop');

      const confidential = await admin([
        'oauth',
        'client',
        'create',
        '--name',
        'Wiki',
        '--redirect-uri',
        'https://wiki.example.com/callback',
        '--confidential',
        '--json',
      ]);
      expect(confidential.code, confidential.stderr).toBe(0);
      const wiki = JSON.parse(confidential.stdout) as Record<string, unknown>;
      expect(wiki).toMatchObject({ client_name: 'Wiki', confidential: true, registered_by: 'admin' });
      expect(wiki.client_secret).toEqual(expect.any(String));

      const listed = await admin(['oauth', 'client', 'list', '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      const { clients } = JSON.parse(listed.stdout) as { clients: Array<Record<string, unknown>> };
      expect(clients.map((client) => client.client_name).sort()).toEqual(['Notes desktop', 'Wiki']);
      expect(JSON.stringify(clients)).not.toContain(wiki.client_secret as string);
      const table = await admin(['oauth', 'client', 'list']);
      expect(table.stdout).toMatch(/CLIENT ID\s+NAME\s+TYPE/);
      expect(table.stdout).toContain('confidential');

      const noURL = await admin(['oauth', 'client', 'create', '--name', 'x', '--redirect-uri', 'not a url']);
      expect(noURL.code).toBe(2);
      // A name with a right-to-left override would reorder the consent page's sentence.
      const spoofing = await admin([
        'oauth',
        'client',
        'create',
        '--name',
        'Wiki\u202egnp.exe',
        '--redirect-uri',
        callback,
      ]);
      expect(spoofing.code).toBe(2);
      expect(spoofing.stderr).toContain('a client name must not contain control, format (bidi, zero-width)');
      const refused = await admin([
        'oauth',
        'client',
        'create',
        '--name',
        'x',
        '--redirect-uri',
        'http://wiki.example.com/callback',
      ]);
      expect(refused.code).toBe(6);
      expect(refused.stderr).toContain('POST /oauth/clients → invalid_redirect_uri');
    },
  );

  it('consents: the person lists the client she allowed, and revokes it', { timeout: 120_000 }, async () => {
    const callback = JSON.parse((await admin(['oauth', 'client', 'list', '--json'])).stdout).clients.find(
      (client: { client_id: string }) => client.client_id === publicClient,
    ).redirect_uris[0] as string;
    const alice = new PersonAtBrowser({
      pylon: t,
      origin: url,
      issuer: `${url}/o/default`,
      email: 'alice@example.com',
      callback,
    });
    const state = alice.state();
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${url}/o/default/oauth/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: publicClient,
      redirect_uri: callback,
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    await alice.redirectToAuthorization(authorize);
    expect(alice.code).toBeDefined();
    const session = alice.browser.jar.get('pylon_session')!;
    expect(session).toBeDefined();

    const mine = await pylon(['oauth', 'consents', '--json'], session);
    expect(mine.code, mine.stderr).toBe(0);
    const { consents } = JSON.parse(mine.stdout) as { consents: Array<Record<string, string>> };
    expect(consents).toEqual([
      expect.objectContaining({ client_id: publicClient, client_name: 'Notes desktop' }),
    ]);
    const table = await pylon(['oauth', 'consents', 'list'], session);
    expect(table.stdout).toContain('Notes desktop');

    const revoked = await pylon(['oauth', 'consents', 'revoke', consents[0]!.id!, '--json'], session);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toEqual({ id: consents[0]!.id, revoked: true });
    const none = await pylon(['oauth', 'consents'], session);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('no OAuth client consent');
    const again = await pylon(['oauth', 'consents', 'revoke', consents[0]!.id!], session);
    expect(again.code).toBe(6);
  });

  it('client delete, then the client is gone', { timeout: 120_000 }, async () => {
    const deleted = await admin(['oauth', 'client', 'delete', '--id', publicClient, '--json']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout)).toEqual({ client_id: publicClient, deleted: true });
    const listed = JSON.parse((await admin(['oauth', 'client', 'list', '--json'])).stdout) as {
      clients: Array<{ client_id: string }>;
    };
    expect(listed.clients.map((client) => client.client_id)).not.toContain(publicClient);
    expect((await admin(['oauth', 'client', 'delete', '--id', publicClient])).code).toBe(6);
  });

  it('app register --resource: the MCP server the app is', { timeout: 120_000 }, async () => {
    const resource = 'http://127.0.0.1:3333/mcp';
    const base = ['app', 'register', '--name', 'notes', '--owner', 'owner@example.com'];
    expect((await admin([...base, '--resource', 'notes'])).code).toBe(2);
    const registered = await admin([...base, '--resource', resource, '--json']);
    expect(registered.code, registered.stderr).toBe(0);
    const listed = JSON.parse((await admin(['app', 'list', '--json'])).stdout) as { apps: unknown[] };
    expect(listed.apps).toEqual([expect.objectContaining({ app_id: 'notes', resource })]);
  });
});
