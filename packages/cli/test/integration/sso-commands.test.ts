import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listening } from '../../../server/src/platform/listen.js';
import { testDatabases } from '../../../server/test/support/databases.js';
import { listenAhead } from '../../../server/test/support/listen-ahead.js';
import { startTestIdP, type TestIdP } from '../../../server/test/support/peers/oidc-idp.js';
import { startTestServer, type TestServer } from '../../../server/test/support/server.js';
import { FileSessionStore } from '../../src/session/file-session-store.js';
import { temporaryHome } from '../support/environment.js';

const BIN = fileURLToPath(new URL('../../dist/bin/pylon.js', import.meta.url));
/** The SAML tests' IdP certificate (test-only, committed with them). */
const IDP_CERT = fileURLToPath(new URL('../../../server/test/fixtures/saml/idp-cert.pem', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `pylon sso …` as child processes of the built binary, against a real Pylon on loopback and a
 * real OIDC provider (oidc-provider) that `set-oidc` makes Pylon discover.
 */
describe.skipIf(!existsSync(BIN)).each(testDatabases)('pylon sso commands on $kind', (database) => {
  let t: TestServer;
  let idp: TestIdP;
  let listening: Listening;
  let url: string;
  const home = temporaryHome();

  const pylon = (args: string[], stdin = '') =>
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
      };
      const child = execFile(
        process.execPath,
        [BIN, ...args],
        { env, timeout: 30_000 },
        (error, stdout, stderr) => {
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        },
      );
      child.stdin?.end(stdin);
    });

  beforeAll(async () => {
    const held = await listenAhead();
    listening = held;
    url = `http://127.0.0.1:${listening.port}`;
    idp = await startTestIdP(`${url}/api/auth/orgs/acme/sso/callback`);
    t = await startTestServer(database, { env: { PYLON_PUBLIC_URL: url } });
    held.serve(t.server.fetch);
    const call = async (path: string, body: unknown, token?: string) =>
      (await (
        await t.request(path, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
        })
      ).json()) as Record<string, string>;
    const sent = await call('/api/auth/magic/send', { email: 'owner@acme.test' });
    const { token } = await call('/api/auth/magic/verify', { email: 'owner@acme.test', code: sent.dev_code });
    await call('/api/auth/orgs', { name: 'Acme', id: 'acme' }, token);
    await new FileSessionStore(join(home.home, '.pylon', 'sessions')).set('default', token!);
  });
  afterAll(async () => {
    await listening?.close(100);
    await t?.close();
    await idp?.close();
    home.remove();
  });

  it('show before anything is set; set-oidc needs the secret on stdin and refuses a freemail domain', async () => {
    const empty = await pylon(['sso', 'show', '--org-id', 'acme', '--json']);
    expect(empty.code, empty.stderr).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual({ oidc: null, saml: null });

    const base = [
      'sso',
      'set-oidc',
      '--org-id',
      'acme',
      '--issuer-url',
      idp.issuer,
      '--client-id',
      idp.clientId,
    ];
    const noSecret = await pylon(base);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('no client secret');

    const blocked = await pylon([...base, '--domain', 'acme.test,gmail.com'], idp.clientSecret);
    expect(blocked.code).toBe(6);
    expect(blocked.stderr).toContain('Pylon returned 400: PUT /api/auth/orgs/acme/sso → DOMAIN_BLOCKLISTED');
  });

  it('set-oidc, show (no secret), discover, remove', async () => {
    const saved = await pylon(
      [
        'sso',
        'set-oidc',
        '--org-id',
        'acme',
        '--issuer-url',
        idp.issuer,
        '--client-id',
        idp.clientId,
        '--domain',
        'acme.test',
        '--default-role',
        'admin',
        '--json',
      ],
      `${idp.clientSecret}\n`,
    );
    expect(saved.code, saved.stderr).toBe(0);
    expect(JSON.parse(saved.stdout)).toMatchObject({
      org_id: 'acme',
      kind: 'oidc',
      issuer_url: idp.issuer,
      default_role: 'admin',
      email_domains: ['acme.test'],
      redirect_uri: `${url}/api/auth/orgs/acme/sso/callback`,
    });

    const shown = await pylon(['sso', 'show', '--org-id', 'acme']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/issuer_url: +http:\/\/127\.0\.0\.1:\d+\n/);
    expect(shown.stdout).toContain('email_domains:');
    expect(shown.stdout).not.toContain(idp.clientSecret);

    const found = await pylon(['sso', 'discover', '--email', 'someone@acme.test']);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toBe(`oidc sign-in for org acme: ${url}/api/auth/orgs/acme/sso/start\n`);
    expect(
      JSON.parse((await pylon(['sso', 'discover', '--email', 'someone@acme.test', '--json'])).stdout),
    ).toEqual({
      org_id: 'acme',
      kind: 'oidc',
      start_url: '/api/auth/orgs/acme/sso/start',
    });
    const none = await pylon(['sso', 'discover', '--email', 'someone@elsewhere.test']);
    expect(none.code).toBe(6);
    expect(none.stderr).toContain('Pylon returned 404: GET /api/auth/sso/discover → NO_SSO_FOR_DOMAIN');
    expect((await pylon(['sso', 'discover', '--email', 'not-an-email'])).code).toBe(2);

    const removed = await pylon(['sso', 'remove', '--org-id', 'acme', '--kind', 'oidc', '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ org_id: 'acme', kind: 'oidc', removed: true });
    const again = await pylon(['sso', 'remove', '--org-id', 'acme', '--kind', 'oidc']);
    expect(again.code).toBe(6);
    expect(again.stderr).toContain('SSO_NOT_CONFIGURED');
    expect((await pylon(['sso', 'remove', '--org-id', 'acme'])).code).toBe(2);
  });

  it('set-saml reads the certificate file; show and discover see it; remove --kind saml', async () => {
    const args = [
      'sso',
      'set-saml',
      '--org-id',
      'acme',
      '--entity-id',
      'https://idp.acme.test/saml',
      '--sso-url',
      'https://idp.acme.test/sso',
    ];
    const unreadable = await pylon([...args, '--cert-file', '/nonexistent/cert.pem']);
    expect(unreadable.code).toBe(2);
    const saved = await pylon([...args, '--cert-file', IDP_CERT, '--domain', 'saml.test', '--json']);
    expect(saved.code, saved.stderr).toBe(0);
    expect(JSON.parse(saved.stdout)).toMatchObject({
      org_id: 'acme',
      kind: 'saml',
      email_domains: ['saml.test'],
    });
    const shown = JSON.parse((await pylon(['sso', 'show', '--org-id', 'acme', '--json'])).stdout);
    expect(shown.oidc).toBeNull();
    expect(shown.saml).toMatchObject({ idp_entity_id: 'https://idp.acme.test/saml' });
    const found = await pylon(['sso', 'discover', '--email', 'a@saml.test']);
    expect(found.stdout).toBe(`saml sign-in for org acme: ${url}/api/auth/orgs/acme/saml/start\n`);
    const removed = await pylon(['sso', 'remove', '--org-id', 'acme', '--kind', 'saml', '--json']);
    expect(JSON.parse(removed.stdout)).toEqual({ org_id: 'acme', kind: 'saml', removed: true });
  });
});
