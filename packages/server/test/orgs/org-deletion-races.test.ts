import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrgStore } from '../../src/features/orgs/org-store.js';
import type { DB } from '../../src/storage/database.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Body = Record<string, unknown> & { error?: { code: string } };

/**
 * An org's deletion racing what else takes the org's row (an invite's acceptance, a grant, the
 * choice of an active org): whichever commits second finds the org gone and answers 404 (or 403
 * for select-org), never a deadlock or a foreign-key failure (500), and no session keeps it.
 */
describe.each(testDatabases)('org deletion racing on $kind', (database) => {
  let t: TestServer;
  let n = 0;
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const response = await t.request(path.startsWith('/o/') ? path : `/api/auth${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };
  const person = async () => {
    const email = `race${++n}-${database.kind}@example.com`;
    const sent = await call('POST', '/magic/send', undefined, { email });
    const verified = await call('POST', '/magic/verify', undefined, { email, code: sent.body.dev_code });
    return { email, token: verified.body.token as string, userId: verified.body.user_id as string };
  };
  /** An org with its owner, a member, and an invite pending for a third person. */
  const org = async () => {
    const owner = await person();
    const member = await person();
    const invitee = await person();
    const orgId = (await call('POST', '/orgs', owner.token, { name: 'Doomed' })).body.id as string;
    const joined = await call('POST', `/orgs/${orgId}/invites`, owner.token, {
      email: member.email,
      role: 'member',
    });
    await call('POST', `/invites/${joined.body.token}/accept`, member.token);
    const invite = await call('POST', `/orgs/${orgId}/invites`, owner.token, {
      email: invitee.email,
      role: 'member',
    });
    return { orgId, owner, member, invitee, inviteToken: invite.body.token as string };
  };
  const activeOrgs = (userId: string) =>
    t.storage.db.selectFrom('sessions').select('active_org').where('user_id', '=', userId).execute();
  const grant = (orgId: string, token: string, email: string) =>
    call('POST', `/o/${orgId}/roles`, token, { email, app_id: 'pylon', archetype: 'pylon-admin' });

  /**
   * The org deleted in a transaction the test holds open, with its row locked as the delete route
   * locks it, while `request` runs: on PostgreSQL, until the request waits for that lock; then
   * the deletion commits and the request's answer is returned. Interleaves the two explicitly.
   */
  const whileDeleting = async (orgId: string, request: () => Promise<{ status: number; body: Body }>) => {
    let commit!: () => void;
    const held = new Promise<void>((resolve) => {
      commit = resolve;
    });
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const deletion = t.storage.db.transaction().execute(async (trx) => {
      const orgs = new OrgStore(trx, database.kind === 'postgres' ? 'postgres' : 'sqlite');
      expect(await orgs.lock(trx, orgId)).not.toBeNull();
      await trx.deleteFrom('org_invites').where('org_id', '=', orgId).execute();
      await orgs.delete(trx, orgId);
      locked();
      await held;
    });
    await lockTaken;
    const answer = request();
    let answered = false;
    const settled = await Promise.race([
      answer.then(() => {
        answered = true;
        return 'answered' as const;
      }),
      waitForLockWaiter(t.storage.db, () => answered),
    ]);
    commit();
    await deletion;
    return { answer: await answer, waitedForTheLock: settled === 'waiting' };
  };

  beforeAll(async () => {
    t = await startTestServer(database);
  });
  afterAll(() => t.close());

  it('deletion and acceptance, grant, select-org at once: each answers, no 500, no session keeps the org', async () => {
    for (let round = 0; round < 3; round++) {
      const { orgId, owner, member, invitee, inviteToken } = await org();
      const [deleted, accepted, granted, selected] = await Promise.all([
        call('DELETE', `/orgs/${orgId}`, owner.token),
        call('POST', `/invites/${inviteToken}/accept`, invitee.token),
        grant(orgId, owner.token, member.email),
        call('POST', '/select-org', member.token, { orgId }),
      ]);
      expect(deleted.status).toBe(200);
      expect([200, 404]).toContain(accepted.status);
      if (accepted.status === 404) expect(accepted.body.error?.code).toBe('INVITE_NOT_FOUND');
      // 403: the deletion committed before the grantor's capability was checked.
      expect([200, 403, 404]).toContain(granted.status);
      expect([200, 403]).toContain(selected.status);
      expect(await activeOrgs(member.userId)).toEqual(expect.not.arrayContaining([{ active_org: orgId }]));
      expect(await activeOrgs(invitee.userId)).toEqual(expect.not.arrayContaining([{ active_org: orgId }]));
    }
  });

  it.runIf(database.kind === 'postgres')(
    'each waits for the deletion holding the org lock, then answers 404 / 403',
    async () => {
      const first = await org();
      const accepted = await whileDeleting(first.orgId, () =>
        call('POST', `/invites/${first.inviteToken}/accept`, first.invitee.token),
      );
      expect(accepted.answer.body.error?.code).toBe('INVITE_NOT_FOUND');

      const second = await org();
      const granted = await whileDeleting(second.orgId, () =>
        grant(second.orgId, second.owner.token, second.member.email),
      );
      expect(granted.answer.status).toBe(404);
      expect(granted.answer.body.error).toBe('org_not_found');

      const third = await org();
      const selected = await whileDeleting(third.orgId, () =>
        call('POST', '/select-org', third.member.token, { orgId: third.orgId }),
      );
      expect(selected.waitedForTheLock).toBe(true);
      expect(selected.answer.status).toBe(403);
      expect(await activeOrgs(third.member.userId)).toEqual(
        expect.not.arrayContaining([{ active_org: third.orgId }]),
      );

      const fourth = await org();
      const again = await whileDeleting(fourth.orgId, () =>
        call('DELETE', `/orgs/${fourth.orgId}`, fourth.owner.token),
      );
      expect(again.answer.body.error?.code).toBe('ORG_NOT_FOUND');
    },
  );
});

/** Resolves 'waiting' once some PostgreSQL backend waits for a lock (polled, no fixed sleep). */
async function waitForLockWaiter(db: DB, answered: () => boolean): Promise<'waiting' | 'answered'> {
  while (!answered()) {
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_locks where not granted`.execute(db);
    if ((rows[0]?.n ?? 0) > 0) return 'waiting';
  }
  return 'answered';
}
