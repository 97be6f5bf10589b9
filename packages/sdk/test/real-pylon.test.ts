import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listening, listen } from '../../server/src/platform/listen.js';
import { testDatabases } from '../../server/test/support/databases.js';
import { listenAhead } from '../../server/test/support/listen-ahead.js';
import { startTestServer, type TestServer } from '../../server/test/support/server.js';
import { pylonClient } from '../src/client.js';
import { OrgDiscoveryError } from '../src/errors.js';
import type { PylonEvent } from '../src/events.js';
import { pylonGuard } from '../src/guard.js';

const ADMIN = 'admin-token-for-the-sdk-real-pylon-tests-0123456789';

// The set-up people get by default: Pylon's public URL says `localhost` (so its tokens do), it is
// reached as 127.0.0.1, and the app is given the deployment's URL, not an org's api_url.
describe.each(testDatabases)('pylonClient against a real Pylon on $kind', (database) => {
  let t: TestServer;
  let pylon: Listening;
  let sidePort: Listening;
  let deploymentURL: string;
  let publicURL: string;
  let alice: string;
  const orgId = `mine-${database.kind}`;

  const call = async (path: string, body: unknown, token = ADMIN) => {
    const response = await t.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as Record<string, unknown>;
  };

  /** A client as an app builds it, with events and warnings recorded. */
  const clientFor = (orgUrl: string, expectedOrgId: string) => {
    const events: PylonEvent[] = [];
    const warnings: string[] = [];
    const client = pylonClient({
      orgUrl,
      appId: 'pylon',
      expectedOrgId,
      sessionToken: alice,
      clock: t.clock,
      onEvent: (...event) => events.push(event),
      logger: { warn: (message) => warnings.push(message) },
    });
    return { client, events, warnings };
  };

  beforeAll(async () => {
    // Pylon's port is held from the start, so PYLON_PUBLIC_URL (the tokens' `iss`) can name it
    // before Pylon exists.
    const held = await listenAhead();
    pylon = held;
    deploymentURL = `http://127.0.0.1:${pylon.port}`;
    publicURL = `http://localhost:${pylon.port}`;
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_PUBLIC_URL: publicURL } });
    held.serve(t.server.fetch);
    // The same Pylon on a second port: an origin its /discover does not name.
    sidePort = await listen(t.server.fetch, 0, '127.0.0.1');

    const email = 'alice@example.com';
    const sent = await call('/api/auth/magic/send', { email });
    alice = (await call('/api/auth/magic/verify', { email, code: sent.dev_code })).token as string;
    await call('/roles', { email, app_id: 'pylon', archetype: 'pylon-auditor' });
    expect((await call('/api/auth/orgs', { name: 'Mine', id: orgId }, alice)).id).toBe(orgId);
  });

  afterAll(async () => {
    await sidePort?.close(1000);
    await pylon?.close(1000);
    await t?.close();
  });

  it('orgUrl = the deployment URL (127.0.0.1 while tokens say localhost): mints and verifies', async () => {
    const { client, events, warnings } = clientFor(deploymentURL, 'default');
    const token = await client.mintScopedToken();
    expect(await client.verify(token)).toEqual({
      sub: 'alice@example.com',
      org: 'default',
      app: 'pylon',
      caps: ['pylon:audit.read'],
    });
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).iss).toBe(
      `${publicURL}/o/default`,
    );
    expect(await client.discover()).toEqual({
      id: 'default',
      name: 'Default',
      api_url: `${publicURL}/o/default`,
    });
    expect(events.filter(([name]) => name.startsWith('token.') || name.startsWith('org.d'))).toEqual([
      ['org.discovered', { id: 'default', api_url: `${publicURL}/o/default` }],
    ]);
    expect(warnings).toEqual([]);
  });

  it('orgUrl = the api_url spelt with 127.0.0.1: accepts tokens that say localhost', async () => {
    const minted = await clientFor(deploymentURL, 'default').client.mintScopedToken();
    const { client, events } = clientFor(`${deploymentURL}/o/default/`, 'default');
    expect(await client.resolve({ bearer: minted })).toMatchObject({
      org: 'default',
      sub: 'alice@example.com',
    });
    expect(events.filter(([name]) => name === 'token.verify.failed')).toEqual([]);
  });

  it('a non-default org at /o/<org>: mints and verifies there', async () => {
    const { client } = clientFor(`${deploymentURL}/o/${orgId}`, orgId);
    const actor = await client.verify(await client.mintScopedToken());
    expect(actor).toMatchObject({ org: orgId, app: 'pylon', sub: 'alice@example.com' });
    expect(actor.caps).toContain('pylon:app.manage');
    // A default-org token is not this org's: refused as another org's, with no configuration warning.
    const { client: defaultOrg } = clientFor(deploymentURL, 'default');
    const { client: mine, events, warnings } = clientFor(`${deploymentURL}/o/${orgId}`, orgId);
    expect(await mine.resolve({ bearer: await defaultOrg.mintScopedToken() })).toBeNull();
    expect(events).toContainEqual(['token.verify.failed', { reason: 'wrong_org' }]);
    expect(warnings).toEqual([]);
  });

  it('a token minted in an org anyone can create is wrong_org at the default org, and advises nothing', async () => {
    // Alice created `mine` herself: its token for the same app id, sent to the default org's client.
    const foreign = await clientFor(`${deploymentURL}/o/${orgId}`, orgId).client.mintScopedToken();
    const { client, events, warnings } = clientFor(deploymentURL, 'default');
    for (let i = 0; i < 2; i++) expect(await client.resolve({ bearer: foreign })).toBeNull();
    expect(
      events.filter(([name]) => name === 'token.verify.failed' || name === 'org.issuer_mismatch'),
    ).toEqual([
      ['token.verify.failed', { reason: 'wrong_org' }],
      ['token.verify.failed', { reason: 'wrong_org' }],
    ]);
    expect(warnings).toEqual([]);
  });

  it('refuses a /discover whose api_url is on another origin (here: another port)', async () => {
    const { client, warnings } = clientFor(sidePort.url, 'default');
    const error = await client.discover().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OrgDiscoveryError);
    expect((error as Error).message).toContain(
      `says its api_url is ${publicURL}/o/default, on another origin`,
    );
    await expect(client.mintScopedToken()).rejects.toBeInstanceOf(OrgDiscoveryError);
    const token = await clientFor(deploymentURL, 'default').client.mintScopedToken();
    const response = await pylonGuard(client).hono(
      {
        req: { raw: new Request('http://app/', { headers: { authorization: `Bearer ${token}` } }) },
        set() {},
      },
      async () => {},
    );
    expect(response?.status).toBe(503);
    expect(warnings).toHaveLength(1);
  });

  it('refuses a URL that serves another org than expectedOrgId', async () => {
    const { client } = clientFor(deploymentURL, orgId);
    await expect(client.discover()).rejects.toThrow(
      `serves org "default", but expectedOrgId is "${orgId}": set orgUrl to that org's api_url (…/o/${orgId})`,
    );
    const token = await clientFor(`${deploymentURL}/o/${orgId}`, orgId).client.mintScopedToken();
    await expect(client.verify(token)).rejects.toBeInstanceOf(OrgDiscoveryError);
  });
});
