import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { pageBrowser, signedInBrowser } from '../support/page-browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * On Node, passwords are offered (`config.passwords`): the sign-in page has its password form, the
 * reset and sign-up links, and the security page its password section, and each of those pages
 * answers. Workers, where they are not offered, is test/workers/hosted-pages.test.ts.
 */
describe.each(testDatabases)('the password offers of the hosted pages on Node, $kind', (database) => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer(database);
    t.clock.set(Date.now());
  });
  afterAll(() => t.close());

  it('/login shows the password form, the reset link and the sign-up link, and each page answers', async () => {
    expect(t.config.passwords).toBe(true);
    const b = pageBrowser(t);
    const login = await (await b.get('/login')).text();
    expect(login).toContain('Use a password instead');
    expect(login).toContain('action="/login/password"');
    expect(login).toContain('type="password"');
    expect(login).toContain('href="/reset"');
    expect(login).toMatch(/href="\/signup\?return_to=/);
    for (const path of ['/reset', '/signup']) expect((await b.get(path)).status, path).toBe(200);
  });

  it('/account/security shows the password section', async () => {
    const b = await signedInBrowser(t, `offers-${database.kind}@example.com`);
    const security = await (await b.get('/account/security')).text();
    expect(security).toContain('<h2>Password</h2>');
    expect(security).toContain('ask for a reset code');
  });
});
