import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryAudit } from '../../src/audit/audit-log.js';
import { effectivePylonArchetypes } from '../../src/features/orgs/feature.js';
import { InviteStore } from '../../src/features/orgs/invite-store.js';
import { OrgStore } from '../../src/features/orgs/org-store.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ADMIN = 'admin-token-for-org-tests-0123456789';
type Body = Record<string, unknown> & { error?: { code: string } };
interface Person {
  email: string;
  token: string;
  userId: string;
}

describe.each(testDatabases)('organisations on $kind', (database) => {
  let t: TestServer;
  let n = 0;
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const response = await t.request(`/api/auth${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };
  /** An org's audit, oldest first, as the admin token reads it on the org's own base. */
  const orgAudit = async (orgId: string, action?: string) => {
    const query = `since=0&limit=1000${action ? `&action=${action}` : ''}`;
    const response = await t.request(`/o/${orgId}/audit?${query}`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { entries: Array<Record<string, unknown> & { action: string }> })
      .entries;
  };
  /** A signed-in person with a verified email (magic code). */
  const person = async (name = `p${++n}`): Promise<Person> => {
    const email = `${name}-${database.kind}@example.com`;
    const sent = await call('POST', '/magic/send', undefined, { email });
    const verified = await call('POST', '/magic/verify', undefined, { email, code: sent.body.dev_code });
    return { email, token: verified.body.token as string, userId: verified.body.user_id as string };
  };
  /** An org owned by `owner` with `admin` and `member` joined through invites. */
  const team = async () => {
    const owner = await person();
    const admin = await person();
    const member = await person();
    const org = await call('POST', '/orgs', owner.token, { name: 'Team' });
    const orgId = org.body.id as string;
    const inviteTokens: string[] = [];
    for (const [who, role] of [
      [admin, 'admin'],
      [member, 'member'],
    ] as const) {
      const invite = await call('POST', `/orgs/${orgId}/invites`, owner.token, { email: who.email, role });
      expect((await call('POST', `/invites/${invite.body.token}/accept`, who.token)).status).toBe(200);
      inviteTokens.push(invite.body.token as string);
    }
    return { orgId, owner, admin, member, inviteTokens };
  };

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
  });
  afterAll(() => t.close());

  describe('orgs', () => {
    it('creating makes the caller the owner, with a generated or given slug id', async () => {
      const alice = await person();
      const generated = await call('POST', '/orgs', alice.token, { name: 'Acme Corp.' });
      expect(generated.status).toBe(201);
      expect(generated.body).toMatchObject({
        id: expect.stringMatching(/^acme-corp-[0-9a-f]{6}$/),
        name: 'Acme Corp.',
        role: 'owner',
      });
      const given = await call('POST', '/orgs', alice.token, { name: 'Given', id: `given-${database.kind}` });
      expect(given.body.id).toBe(`given-${database.kind}`);
      expect(
        (await call('POST', '/orgs', alice.token, { name: 'Again', id: `given-${database.kind}` })).body.error
          ?.code,
      ).toBe('ORG_EXISTS');
      for (const id of ['Bad_Id', '-x', 'a', 'x'.repeat(65)]) {
        expect((await call('POST', '/orgs', alice.token, { name: 'Bad', id })).body.error?.code, id).toBe(
          'BAD_ORG_ID',
        );
      }
      expect((await call('POST', '/orgs', undefined, { name: 'Nobody' })).status).toBe(401);
      const mine = await call('GET', '/orgs', alice.token);
      expect(
        (mine.body as unknown as Array<{ id: string; role: string }>).map((o) => [o.id, o.role]),
      ).toEqual([
        [generated.body.id, 'owner'],
        [given.body.id, 'owner'],
      ]);
      const audit = await orgAudit(generated.body.id as string);
      // The wire name is the email; the id and type ride beside it on every entry.
      expect(audit.map((e) => [e.action, e.actor, e.actor_type, e.actor_id])).toEqual([
        ['org.created', alice.email, 'user', alice.userId],
        ['org.member_added', alice.email, 'user', alice.userId],
      ]);
    });

    it('members read their org; a non-member gets 404 like an unknown org; the admin token reads any', async () => {
      const { orgId, member } = await team();
      const outsider = await person();
      expect((await call('GET', `/orgs/${orgId}`, member.token)).body).toMatchObject({
        id: orgId,
        role: 'member',
      });
      expect((await call('GET', `/orgs/${orgId}`, outsider.token)).body.error?.code).toBe('ORG_NOT_FOUND');
      expect((await call('GET', '/orgs/no-such-org', outsider.token)).body.error?.code).toBe('ORG_NOT_FOUND');
      expect((await call('GET', `/orgs/${orgId}/members`, outsider.token)).status).toBe(404);
      expect((await call('GET', `/orgs/${orgId}`, ADMIN)).body).toMatchObject({ id: orgId, role: null });
      const members = (await call('GET', `/orgs/${orgId}/members`, member.token)).body as unknown as Array<{
        role: string;
      }>;
      expect(members.map((m) => m.role).sort()).toEqual(['admin', 'member', 'owner']);
    });

    it('the org is served at its own RBAC base, and its discover names its api_url', async () => {
      const { orgId } = await team();
      const discovered = await t.request(`/o/${orgId}/discover`);
      expect(await discovered.json()).toEqual({
        id: orgId,
        name: 'Team',
        api_url: `http://localhost:4000/o/${orgId}`,
      });
    });
  });

  describe('roles', () => {
    it('only owners grant owner or change an owner; managers change the rest; members change nothing', async () => {
      const { orgId, owner, admin, member } = await team();
      const put = (who: Person, target: Person, role: unknown) =>
        call('PUT', `/orgs/${orgId}/members/${target.userId}`, who.token, { role });
      expect((await put(admin, member, 'owner')).status).toBe(403);
      expect((await put(admin, owner, 'member')).status).toBe(403);
      expect((await put(member, admin, 'member')).status).toBe(403);
      expect((await put(owner, member, 'superuser')).body.error?.code).toBe('BAD_ROLE');
      expect(
        (await call('PUT', `/orgs/${orgId}/members/usr_nope`, owner.token, { role: 'admin' })).body.error
          ?.code,
      ).toBe('MEMBER_NOT_FOUND');
      expect((await put(admin, member, 'admin')).body).toEqual({ user_id: member.userId, role: 'admin' });
      expect((await put(owner, admin, 'owner')).body).toEqual({ user_id: admin.userId, role: 'owner' });
      const changes = await orgAudit(orgId, 'org.role_changed');
      expect(changes.map((e) => e.detail)).toEqual([
        { from: 'member', to: 'admin' },
        { from: 'admin', to: 'owner' },
      ]);
    });

    it("removing or losing a member revokes their grants in the org's apps, and only there", async () => {
      const { orgId, owner, admin, member } = await team();
      const other = (await call('POST', '/orgs', owner.token, { name: 'Other' })).body.id as string;
      const grantAs = async (org: string, token: string, email: string) => {
        const response = await t.request(`/o/${org}/roles`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ email, app_id: 'pylon', archetype: 'pylon-admin' }),
        });
        expect(response.status).toBe(200);
      };
      const appsAs = (org: string, token: string) =>
        t.request(`/o/${org}/apps`, { headers: { authorization: `Bearer ${token}` } });
      // The admin grants themselves pylon-admin (their role already carries it), and the owner
      // grants the member the same in another org.
      await grantAs(orgId, admin.token, admin.email);
      await grantAs(other, owner.token, admin.email);
      await call('PUT', `/orgs/${orgId}/members/${admin.userId}`, owner.token, { role: 'member' });
      expect((await call('DELETE', `/orgs/${orgId}/members/${admin.userId}`, owner.token)).status).toBe(200);
      expect((await appsAs(orgId, admin.token)).status).toBe(403);
      // The grant in the other org is not this org's to take.
      expect((await appsAs(other, admin.token)).status).toBe(200);
      const removed = (await orgAudit(orgId, 'org.member_removed')).at(-1)!;
      expect(removed.detail).toEqual({
        role: 'member',
        revoked_grants: [{ app_id: 'pylon', archetype: 'pylon-admin' }],
      });
      // Leaving works the same way.
      await grantAs(orgId, owner.token, member.email);
      expect((await call('DELETE', `/orgs/${orgId}/members/${member.userId}`, member.token)).status).toBe(
        200,
      );
      expect((await appsAs(orgId, member.token)).status).toBe(403);
    });

    it('the last owner can neither be demoted nor leave', async () => {
      const { orgId, owner } = await team();
      const demote = await call('PUT', `/orgs/${orgId}/members/${owner.userId}`, owner.token, {
        role: 'admin',
      });
      expect(demote.status).toBe(409);
      expect(demote.body.error?.code).toBe('LAST_OWNER');
      const leave = await call('DELETE', `/orgs/${orgId}/members/${owner.userId}`, owner.token);
      expect(leave.body.error?.code).toBe('LAST_OWNER');
      expect((await call('DELETE', `/orgs/${orgId}/members/${owner.userId}`, ADMIN)).body.error?.code).toBe(
        'LAST_OWNER',
      );
    });

    it('two owners demoting each other at once leave one owner', async () => {
      const { orgId, owner, admin } = await team();
      await call('PUT', `/orgs/${orgId}/members/${admin.userId}`, owner.token, { role: 'owner' });
      const results = await Promise.all([
        call('PUT', `/orgs/${orgId}/members/${admin.userId}`, owner.token, { role: 'member' }),
        call('PUT', `/orgs/${orgId}/members/${owner.userId}`, admin.token, { role: 'member' }),
      ]);
      // The loser is refused either as no longer an owner (403) or as the last one (409).
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect([403, 409]).toContain(results.find((r) => r.status !== 200)!.status);
      const members = (await call('GET', `/orgs/${orgId}/members`, ADMIN)).body as unknown as Array<{
        role: string;
      }>;
      expect(members.filter((m) => m.role === 'owner')).toHaveLength(1);
    });

    it('anyone may leave; managers remove members; only owners remove owners; members remove no one', async () => {
      const { orgId, owner, admin, member } = await team();
      const other = await person();
      const invite = await call('POST', `/orgs/${orgId}/invites`, owner.token, {
        email: other.email,
        role: 'member',
      });
      await call('POST', `/invites/${invite.body.token}/accept`, other.token);
      expect((await call('DELETE', `/orgs/${orgId}/members/${other.userId}`, member.token)).status).toBe(403);
      expect((await call('DELETE', `/orgs/${orgId}/members/${owner.userId}`, admin.token)).status).toBe(403);
      expect((await call('DELETE', `/orgs/${orgId}/members/${other.userId}`, admin.token)).body).toEqual({
        user_id: other.userId,
        removed: true,
      });
      expect((await call('DELETE', `/orgs/${orgId}/members/${member.userId}`, member.token)).status).toBe(
        200,
      );
      expect((await call('GET', `/orgs/${orgId}`, member.token)).status).toBe(404);
      expect(
        (await call('DELETE', `/orgs/${orgId}/members/${member.userId}`, owner.token)).body.error?.code,
      ).toBe('MEMBER_NOT_FOUND');
    });
  });

  describe('invites', () => {
    it('emails an accept link; the token is shown only in development and stored hashed', async () => {
      const { orgId, owner } = await team();
      const invitee = await person();
      const invite = await call('POST', `/orgs/${orgId}/invites`, owner.token, {
        email: invitee.email,
        role: 'admin',
      });
      expect(invite.status).toBe(201);
      expect(invite.body).toMatchObject({
        id: expect.stringMatching(/^inv_/),
        email: invitee.email,
        role: 'admin',
        expires_at: Math.floor(t.clock.now() / 1000) + 7 * 24 * 3600,
        token: expect.stringMatching(/^pyinv_[A-Za-z0-9_-]{43}$/),
      });
      // The hosted page; the emailed link adds a mark only the email carries (invite-link.ts).
      expect(invite.body.accept_url).toBe(`http://localhost:4000/invite/${invite.body.token}`);
      expect(t.mail.at(-1)).toMatchObject({ to: invitee.email });
      expect(t.mail.at(-1)!.text).toMatch(
        new RegExp(`http://localhost:4000/invite/${invite.body.token}\\.[0-9a-f]{32}\\b`),
      );
      // Only the raw rows show what is at rest.
      const rows = JSON.stringify(await t.storage.db.selectFrom('org_invites').selectAll().execute());
      expect(rows).not.toContain((invite.body.token as string).slice(6));
      const pending = await call('GET', `/orgs/${orgId}/invites`, owner.token);
      expect((pending.body as unknown as Array<{ id: string }>).map((i) => i.id)).toContain(invite.body.id);
    });

    it('checks who invites what', async () => {
      const { orgId, admin, member, owner } = await team();
      expect(
        (
          await call('POST', `/orgs/${orgId}/invites`, member.token, {
            email: 'x@example.com',
            role: 'member',
          })
        ).status,
      ).toBe(403);
      expect(
        (await call('POST', `/orgs/${orgId}/invites`, admin.token, { email: 'x@example.com', role: 'owner' }))
          .status,
      ).toBe(403);
      expect(
        (await call('POST', `/orgs/${orgId}/invites`, admin.token, { email: 'x@example.com', role: 'king' }))
          .body.error?.code,
      ).toBe('BAD_ROLE');
      expect(
        (await call('POST', `/orgs/${orgId}/invites`, owner.token, { email: 'nope', role: 'member' })).body
          .error?.code,
      ).toBe('INVALID_EMAIL');
      expect((await call('GET', `/orgs/${orgId}/invites`, member.token)).status).toBe(403);
    });

    it('accept: once, before expiry, only by the invited verified email, not twice into one org', async () => {
      const { orgId, owner, member } = await team();
      const invitee = await person();
      const stranger = await person();
      const invite = await call('POST', `/orgs/${orgId}/invites`, owner.token, {
        email: invitee.email,
        role: 'member',
      });
      const accept = (who: string | undefined) => call('POST', `/invites/${invite.body.token}/accept`, who);

      expect((await accept(undefined)).status).toBe(401);
      expect((await accept(stranger.token)).body.error?.code).toBe('WRONG_EMAIL');
      expect(
        (await call('POST', '/invites/pyinv_not-a-real-token/accept', invitee.token)).body.error?.code,
      ).toBe('INVITE_NOT_FOUND');
      const joined = await accept(invitee.token);
      expect(joined.body).toEqual({ org_id: orgId, role: 'member' });
      expect((await accept(invitee.token)).body.error?.code).toBe('ALREADY_ACCEPTED');

      // A member's address is not invited again; an invite made before they joined (here made
      // straight in the store, as one pending while they joined another way) is refused at accept.
      const again = await call('POST', `/orgs/${orgId}/invites`, owner.token, {
        email: member.email,
        role: 'admin',
      });
      expect(again.status).toBe(409);
      expect(again.body.error?.code).toBe('ALREADY_MEMBER');
      const stale = await new InviteStore(t.storage.db, t.server.services.random).create({
        orgId,
        email: member.email,
        role: 'admin',
        invitedBy: owner.userId,
        now: t.clock.now(),
        ttlSeconds: 3600,
      });
      expect((await call('POST', `/invites/${stale.token}/accept`, member.token)).body.error?.code).toBe(
        'ALREADY_MEMBER',
      );

      const late = await person();
      const lateInvite = await call('POST', `/orgs/${orgId}/invites`, owner.token, {
        email: late.email,
        role: 'member',
      });
      t.clock.advance(7 * 24 * 3600 * 1000);
      const expired = await call('POST', `/invites/${lateInvite.body.token}/accept`, late.token);
      expect(expired.status).toBe(410);
      expect(expired.body.error?.code).toBe('INVITE_EXPIRED');

      const actions = (await orgAudit(orgId)).map((e) => e.action);
      expect(actions).toEqual(
        expect.arrayContaining(['org.invite_sent', 'org.invite_accepted', 'org.member_added']),
      );
    });

    it('an unverified address cannot take an invite meant for it', async () => {
      const { orgId, owner } = await team();
      const email = `unverified-${database.kind}@example.com`;
      const registered = await call('POST', '/password/register', undefined, {
        email,
        password: 'not yet verified',
      });
      const invite = await call('POST', `/orgs/${orgId}/invites`, owner.token, { email, role: 'member' });
      const refused = await call(
        'POST',
        `/invites/${invite.body.token}/accept`,
        registered.body.token as string,
      );
      expect(refused.body.error?.code).toBe('EMAIL_NOT_VERIFIED');
    });

    it('a withdrawn invite cannot be accepted', async () => {
      const { orgId, owner, admin } = await team();
      const invitee = await person();
      const invite = await call('POST', `/orgs/${orgId}/invites`, owner.token, {
        email: invitee.email,
        role: 'member',
      });
      expect((await call('DELETE', `/orgs/${orgId}/invites/${invite.body.id}`, admin.token)).body).toEqual({
        id: invite.body.id,
        revoked: true,
      });
      expect(
        (await call('DELETE', `/orgs/${orgId}/invites/${invite.body.id}`, admin.token)).body.error?.code,
      ).toBe('INVITE_NOT_FOUND');
      expect(
        (await call('POST', `/invites/${invite.body.token}/accept`, invitee.token)).body.error?.code,
      ).toBe('INVITE_NOT_FOUND');
    });

    it('inviting an address again replaces its pending invite: the earlier link stops working', async () => {
      const { orgId, owner, admin } = await team();
      const invitee = await person();
      const first = await call('POST', `/orgs/${orgId}/invites`, owner.token, {
        email: invitee.email,
        role: 'member',
      });
      const other = await call('POST', `/orgs/${orgId}/invites`, owner.token, {
        email: `other-${n}@example.com`,
      });
      const second = await call('POST', `/orgs/${orgId}/invites`, admin.token, {
        email: invitee.email,
        role: 'admin',
      });
      expect(second.status).toBe(201);
      const pending = (await call('GET', `/orgs/${orgId}/invites`, owner.token)).body as unknown as Array<{
        id: string;
      }>;
      expect(pending.map((i) => i.id).sort()).toEqual([other.body.id, second.body.id].sort());
      expect(
        (await call('POST', `/invites/${first.body.token}/accept`, invitee.token)).body.error?.code,
      ).toBe('INVITE_NOT_FOUND');
      const sent = (await orgAudit(orgId, 'org.invite_sent')).at(-1)!;
      expect(sent.detail).toEqual({ invite_id: second.body.id, role: 'admin', replaced: [first.body.id] });
      expect((await call('POST', `/invites/${second.body.token}/accept`, invitee.token)).body).toEqual({
        org_id: orgId,
        role: 'admin',
      });
    });

    it('a re-invite whose email fails leaves the earlier invite standing', async () => {
      let failNext = false;
      const flaky = await startTestServer(database, {
        mailer: {
          provider: 'flaky',
          async send() {
            if (failNext) throw new Error('smtp down');
          },
        },
      });
      try {
        const post = async (path: string, token: string | undefined, body: unknown) => {
          const response = await flaky.request(`/api/auth${path}`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            body: JSON.stringify(body),
          });
          return { status: response.status, body: (await response.json()) as Body };
        };
        const owner = await post('/password/register', undefined, {
          email: 'owner@example.com',
          password: 'owner of the org',
        });
        const token = owner.body.token as string;
        const orgId = (await post('/orgs', token, { name: 'Flaky' })).body.id as string;
        const first = await post(`/orgs/${orgId}/invites`, token, { email: 'someone@example.com' });
        expect(first.status).toBe(201);
        failNext = true;
        const second = await post(`/orgs/${orgId}/invites`, token, { email: 'someone@example.com' });
        expect(second.body.error?.code).toBe('EMAIL_SEND_FAILED');
        const pending = await flaky.request(`/api/auth/orgs/${orgId}/invites`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(((await pending.json()) as Array<{ id: string }>).map((i) => i.id)).toEqual([first.body.id]);
      } finally {
        await flaky.close();
      }
    });

    it('a failed email withdraws the invite', async () => {
      const failing = await startTestServer(database, {
        mailer: {
          provider: 'broken',
          async send() {
            throw new Error('smtp down');
          },
        },
      });
      try {
        const registered = await failing.request('/api/auth/password/register', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'owner@example.com', password: 'owner of the org' }),
        });
        const { token } = (await registered.json()) as { token: string };
        const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
        const org = (await (
          await failing.request('/api/auth/orgs', {
            method: 'POST',
            headers,
            body: JSON.stringify({ name: 'Mailless' }),
          })
        ).json()) as { id: string };
        const invite = await failing.request(`/api/auth/orgs/${org.id}/invites`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ email: 'someone@example.com', role: 'member' }),
        });
        expect(invite.status).toBe(500);
        expect(((await invite.json()) as Body).error?.code).toBe('EMAIL_SEND_FAILED');
        const pending = await failing.request(`/api/auth/orgs/${org.id}/invites`, { headers });
        expect(await pending.json()).toEqual([]);
      } finally {
        await failing.close();
      }
    });
  });

  describe('active org', () => {
    it('select-org sets tenantId and roles in /me; a non-member is refused; null clears', async () => {
      const { orgId, owner } = await team();
      const outsider = await person();
      expect((await call('GET', '/me', owner.token)).body).toMatchObject({ tenantId: null, roles: [] });
      expect((await call('POST', '/select-org', outsider.token, { orgId })).body.error?.code).toBe(
        'NOT_A_MEMBER',
      );
      expect((await call('POST', '/select-org', owner.token, { orgId })).body).toEqual({ tenantId: orgId });
      expect((await call('GET', '/me', owner.token)).body).toMatchObject({
        tenantId: orgId,
        roles: ['owner'],
      });
      expect((await call('POST', '/select-org', owner.token, { orgId: null })).body).toEqual({
        tenantId: null,
      });
      expect((await call('GET', '/me', owner.token)).body).toMatchObject({ tenantId: null, roles: [] });
    });

    it('a removed member loses the active org at once', async () => {
      const { orgId, owner, member } = await team();
      await call('POST', '/select-org', member.token, { orgId });
      await call('DELETE', `/orgs/${orgId}/members/${member.userId}`, owner.token);
      expect((await call('GET', '/me', member.token)).body).toMatchObject({ tenantId: null, roles: [] });
    });
  });

  describe('deleting an org', () => {
    it('owners only; removes memberships, invites and active-org pointers, and nothing of other orgs', async () => {
      const doomed = await team();
      const other = await team();
      for (const org of [doomed, other]) {
        const pending = await call('POST', `/orgs/${org.orgId}/invites`, org.owner.token, {
          email: 'pending@example.com',
          role: 'member',
        });
        org.inviteTokens.push(pending.body.token as string);
      }
      await call('POST', '/select-org', doomed.member.token, { orgId: doomed.orgId });
      await call('POST', '/select-org', other.member.token, { orgId: other.orgId });
      expect((await t.request(`/o/${doomed.orgId}/discover`)).status).toBe(200);

      expect((await call('DELETE', `/orgs/${doomed.orgId}`, doomed.admin.token)).status).toBe(403);
      expect((await call('DELETE', `/orgs/${doomed.orgId}`, doomed.owner.token)).body).toEqual({
        id: doomed.orgId,
        deleted: true,
      });

      // A deleted org has no HTTP view left: ask its stores. Invites are found by the token each
      // gave out, accepted ones included, so the check covers every invite the org ever sent.
      const orgs = new OrgStore(t.storage.db, t.storage.dialect);
      const invites = new InviteStore(t.storage.db, t.server.services.random);
      const invitesLeft = async (tokens: string[]) =>
        (await Promise.all(tokens.map((token) => invites.findByToken(t.storage.db, token)))).filter(
          (invite) => invite !== null,
        ).length;
      expect(await orgs.members(doomed.orgId)).toEqual([]);
      expect(await invitesLeft(doomed.inviteTokens)).toBe(0);
      expect(await orgs.members(other.orgId)).toHaveLength(3);
      expect(await invitesLeft(other.inviteTokens)).toBe(3); // two accepted, one pending
      expect((await call('GET', '/me', doomed.member.token)).body).toMatchObject({ tenantId: null });
      expect((await call('GET', '/me', other.member.token)).body).toMatchObject({ tenantId: other.orgId });
      expect((await t.request(`/o/${doomed.orgId}/discover`)).status).toBe(404);
      // The audit outlives its org, but no route reads a deleted org's log: the audit log's own query does.
      expect(
        (await queryAudit(t.storage.db, { org: doomed.orgId, action: 'org.deleted' })).entries,
      ).toHaveLength(1);
    });

    it("the deployment's default org cannot be deleted", async () => {
      const refused = await call('DELETE', '/orgs/default', ADMIN);
      expect(refused.status).toBe(409);
      expect(refused.body.error?.code).toBe('DEFAULT_ORG');
    });
  });

  it('effective pylon archetypes follow membership', async () => {
    const { orgId, owner, admin, member } = await team();
    const outsider = await person();
    const orgs = new OrgStore(t.storage.db, t.storage.dialect);
    expect(await effectivePylonArchetypes(orgs, orgId, owner.userId)).toEqual(['pylon-admin']);
    expect(await effectivePylonArchetypes(orgs, orgId, admin.userId)).toEqual(['pylon-admin']);
    expect(await effectivePylonArchetypes(orgs, orgId, member.userId)).toEqual(['pylon-user']);
    expect(await effectivePylonArchetypes(orgs, orgId, outsider.userId)).toEqual([]);
  });
});
