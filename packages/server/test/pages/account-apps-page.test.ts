import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsentStore } from '../../src/features/oauth-server/consent-store.js';
import { testDatabases } from '../support/databases.js';
import { csrfOf, pageBrowser, signedInBrowser, visibleText } from '../support/page-browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe.each(testDatabases)('/account/apps (OAuth consents) on $kind', (database) => {
  let t: TestServer;
  let consents: ConsentStore;
  let n = 0;

  const browser = () => pageBrowser(t);

  /** A browser signed in with an emailed code, and the person's user id. */
  const signedIn = async () => {
    const email = `apps${++n}-${database.kind}@example.com`;
    const b = await signedInBrowser(t, email);
    const user = await t.storage.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    return { b, userId: user.id };
  };

  const allow = (userId: string, clientName: string) =>
    consents.remember({
      orgId: 'default',
      userId,
      clientId: `https://${clientName}.example/client.json`,
      clientName,
      resource: 'https://notes.example/mcp',
      scope: 'offline_access',
      now: t.clock.now(),
    });

  beforeAll(async () => {
    t = await startTestServer(database);
    t.clock.set(Date.now());
    consents = new ConsentStore(t.storage.db, t.server.services.random);
  });
  afterAll(() => t.close());

  it('sends a signed-out visitor to sign in, showing nothing', async () => {
    const res = await browser().get('/account/apps');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?return_to=%2Faccount%2Fapps');
  });

  it('lists the apps the person allowed, and revoking one ends it and is audited', async () => {
    const { b, userId } = await signedIn();
    expect(visibleText(await (await b.get('/account/apps')).text())).toContain(
      'You have not allowed any app.',
    );
    const consent = await allow(userId, 'Claude Desktop');
    const page = await (await b.get('/account/apps')).text();
    expect(visibleText(page)).toContain('Claude Desktop for https://notes.example/mcp');

    const done = await b.post('/account/apps/revoke', {
      csrf: csrfOf(page),
      consent_id: consent.id,
      org: 'default',
    });
    expect(done.status).toBe(200);
    expect(visibleText(await done.text())).toContain('Access revoked.');
    expect(await consents.list('default', userId)).toEqual([]);
    const audited = await t.storage.db
      .selectFrom('audit_events')
      .select(['action', 'detail'])
      .where('action', '=', 'oauth.consent_revoked')
      .where('org', '=', 'default')
      .execute();
    expect(audited.map((row) => JSON.parse(row.detail ?? '{}').consent_id)).toContain(consent.id);
  });

  it("cannot revoke another person's consent, nor without the page's CSRF token or from another site", async () => {
    const { userId: otherId } = await signedIn();
    const theirs = await allow(otherId, 'Other client');
    const { b, userId } = await signedIn();
    const mine = await allow(userId, 'My client');
    const page = await (await b.get('/account/apps')).text();
    expect(visibleText(page)).not.toContain('Other client');
    const csrf = csrfOf(page);

    const foreign = await b.post('/account/apps/revoke', { csrf, consent_id: theirs.id, org: 'default' });
    expect(foreign.status).toBe(400);
    expect(visibleText(await foreign.text())).toContain('That access was already revoked.');
    expect((await b.post('/account/apps/revoke', { consent_id: mine.id, org: 'default' })).status).toBe(403);
    expect(
      (
        await b.post(
          '/account/apps/revoke',
          { csrf, consent_id: mine.id, org: 'default' },
          'https://evil.example',
        )
      ).status,
    ).toBe(403);
    expect((await consents.list('default', otherId)).map((c) => c.id)).toEqual([theirs.id]);
    expect((await consents.list('default', userId)).map((c) => c.id)).toEqual([mine.id]);
  });
});
