import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listening, listen } from '../../src/platform/listen.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const visible = (page: string) => page.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');

// Device-code phishing: someone starts a device login and sends the victim the link. The approval
// page says the client's name is its own claim, what approving gives, and where and when the
// request came from — flagged when that is not the approver's own address. Over a real socket
// behind a trusted proxy, so each side's address is the one X-Forwarded-For names.
describe.each(testDatabases)(
  'the device approval page names where the request came from on $kind',
  (database) => {
    let t: TestServer;
    let listening: Listening;
    beforeAll(async () => {
      t = await startTestServer(database, { env: { PYLON_TRUSTED_PROXIES: '127.0.0.1' } });
      listening = await listen(t.server.fetch, 0, '127.0.0.1');
    });
    afterAll(async () => {
      await listening.close(1000);
      await t.close();
    });

    const start = async (from: string, endpoint: 'pylon-cli' | 'rfc8628') => {
      const response =
        endpoint === 'pylon-cli'
          ? await fetch(`${listening.url}/device/init`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
              body: JSON.stringify({ client: 'pylon-cli/1.0', org_id: 'default' }),
            })
          : await fetch(`${listening.url}/oauth/device_authorization`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from },
              body: 'client_id=pylon-cli%2F1.0',
            });
      expect(response.status).toBe(200);
      return ((await response.json()) as { user_code: string }).user_code;
    };
    const approvalPage = async (userCode: string, from: string, token: string) => {
      const response = await fetch(`${listening.url}/device?user_code=${userCode}`, {
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': from },
      });
      expect(response.status).toBe(200);
      return visible(await response.text());
    };

    it('flags a request from another address, and says what approving gives', async () => {
      const sent = await t.request('/api/auth/magic/send', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `approver-${database.kind}@example.com` }),
      });
      const { dev_code } = (await sent.json()) as { dev_code: string };
      const verified = await t.request('/api/auth/magic/verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `approver-${database.kind}@example.com`, code: dev_code }),
      });
      const { token } = (await verified.json()) as { token: string };

      for (const endpoint of ['pylon-cli', 'rfc8628'] as const) {
        const phished = await start('198.51.100.9', endpoint);
        const page = await approvalPage(phished, '203.0.113.7', token);
        expect(page).toContain('A device that calls itself pylon-cli/1.0 asks to sign in as');
        expect(page).toContain('Approving lets it do everything you can');
        expect(page).toContain(
          'Asked for less than a minute ago from 198.51.100.9 — not the address you are on now (203.0.113.7).',
        );
        expect(page).toContain('If someone sent you this link or code, deny it.');

        const own = await start('203.0.113.7', endpoint);
        t.clock.advance(2 * 60_000);
        const ownPage = await approvalPage(own, '203.0.113.7', token);
        expect(ownPage).toContain('Asked for 2 minutes ago from 203.0.113.7.');
        expect(ownPage).not.toContain('not the address you are on now');
      }
    });
  },
);
