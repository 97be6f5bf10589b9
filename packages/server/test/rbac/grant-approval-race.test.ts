import { prepareSchema } from '@pylon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { rbacCaller } from './call.js';

const ADMIN = 'admin-token-for-the-grant-race-0123456789';
const postgres = testDatabases.find((database) => database.kind === 'postgres');

/** The app's schema, with or without the `admin` archetype (dropping it is destructive). */
function schema(tag: string, withAdmin: boolean): string {
  return prepareSchema(
    stringify({
      version_tag: tag,
      capabilities: [{ name: 'doc.read' }, { name: 'doc.delete' }],
      archetypes: [
        { name: 'reader', capabilities: ['doc.read'] },
        ...(withAdmin ? [{ name: 'admin', capabilities: ['doc.delete'], inherits: ['reader'] }] : []),
      ],
    }),
    'race',
    { cliVersion: '0.0.0-test' },
  );
}

/**
 * Grants of an archetype sent while a version that removes it is approved: each grant is either
 * refused (it saw the new version) or committed before the approval, which then revokes it. None
 * may outlive the approval — else a later version adding the archetype back would hand its
 * capabilities to people nobody granted them under that version. Only PostgreSQL runs requests'
 * transactions side by side (SQLite runs one at a time); the race is real, no timing is staged.
 */
describe.runIf(postgres)('grants racing a schema approval on postgres', () => {
  let t: TestServer;
  let appToken: string;
  const call = rbacCaller(() => t);

  beforeAll(async () => {
    t = await startTestServer(postgres!, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    const registered = await call('POST', '/apps', {
      token: ADMIN,
      body: { name: 'race', owner: 'o@example.com' },
    });
    appToken = registered.body.app_token as string;
    const pushed = await call('POST', '/apps/race/schema', { appToken, raw: schema('1.0.0', true) });
    expect(pushed.body).toEqual({ status: 'accepted', version: 1 });
  });
  afterAll(() => t?.close());

  it('leaves no grant of the removed archetype behind, round after round', async () => {
    for (let round = 1; round <= 3; round++) {
      const pending = await call('POST', '/apps/race/schema', {
        appToken,
        raw: schema(`${round}.1.0`, false),
      });
      expect(pending.body).toMatchObject({ status: 'pending_approval' });
      const version = pending.body.version as number;

      const grant = (i: number) =>
        call('POST', '/roles', {
          token: ADMIN,
          body: { email: `p${round}-${i}@example.com`, app_id: 'race', archetype: 'admin' },
        });
      const before = Array.from({ length: 20 }, (_, i) => grant(i));
      const approval = call('POST', '/apps/race/schema/approve-migration', {
        token: ADMIN,
        body: { version },
      });
      const after = Array.from({ length: 20 }, (_, i) => grant(20 + i));
      const answers = await Promise.all([...before, ...after]);
      expect((await approval).body).toMatchObject({ status: 'approved', version });

      for (const answer of answers) {
        expect([200, 400], JSON.stringify(answer.body)).toContain(answer.status);
        if (answer.status === 400) expect(answer.body.error).toBe('invalid_archetype');
      }
      const survivors = await t.storage.db
        .selectFrom('grants')
        .select(['email', 'archetype'])
        .where('app_id', '=', 'race')
        .where('archetype', '=', 'race:admin')
        .execute();
      expect(survivors, `round ${round}`).toEqual([]);

      // A later version adds the archetype back: no one holds it until granted again.
      const readded = await call('POST', '/apps/race/schema', {
        appToken,
        raw: schema(`${round}.2.0`, true),
      });
      expect(readded.body).toMatchObject({ status: 'accepted' });
    }
  });
});
