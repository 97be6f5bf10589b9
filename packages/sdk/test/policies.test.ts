import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../server/test/support/databases.js';
import { startTestServer, type TestServer } from '../../server/test/support/server.js';
import { type PolicyAuthContext, type PolicyDefinition, pylonPolicies } from '../src/policies.js';

// The seed's list shape: `{name, entity | action, allow, allow_read, …}`.
const definitions: PolicyDefinition[] = [
  {
    name: 'todo-owner',
    entity: 'Todo',
    allow_read: 'auth.userId != null && data.authorId == auth.userId',
    allow_write: "auth.userId == data.authorId || auth.hasRole('admin')",
  },
  { name: 'todo-tenant', entity: 'Todo', allow: 'auth.tenantId == null || data.orgId == auth.tenantId' },
  { name: 'public-posts', entity: 'Post', allow_read: 'true' },
  { name: 'invite', action: 'sendInvite', allow: "auth.email.endsWith('@acme.example')" },
];

const alice: PolicyAuthContext = {
  userId: 'alice',
  isAdmin: false,
  roles: [],
  tenantId: null,
  email: 'alice@acme.example',
};

describe('pylonPolicies', () => {
  const policies = pylonPolicies(definitions);

  it('parses the seed’s list without problems', () => {
    expect(policies.problems).toEqual([]);
  });

  it('checks an entity and an action with data and input', () => {
    expect(policies.check(alice, 'Todo', 'read', { data: { authorId: 'alice' } })).toBe(true);
    expect(policies.check(alice, 'Todo', 'read', { data: { authorId: 'bob' } })).toBe(false);
    expect(policies.check(alice, 'Todo', 'update', { data: { authorId: 'alice' } })).toBe(true);
    expect(
      policies.check({ ...alice, roles: ['admin'] }, 'Todo', 'delete', { data: { authorId: 'b' } }),
    ).toBe(true);
    expect(policies.checkAction(alice, 'sendInvite')).toBe(true);
    expect(policies.checkAction({ ...alice, email: 'alice@evil.example' }, 'sendInvite')).toBe(false);
  });

  it('ANDs the entity’s policies', () => {
    const inOrg = { ...alice, tenantId: 'org_1' };
    expect(policies.check(inOrg, 'Todo', 'read', { data: { authorId: 'alice', orgId: 'org_1' } })).toBe(true);
    expect(policies.check(inOrg, 'Todo', 'read', { data: { authorId: 'alice', orgId: 'org_2' } })).toBe(
      false,
    );
  });

  it('denies an entity or action with no policy, and a write a read-only policy does not cover', () => {
    expect(policies.check(alice, 'Invoice', 'read', { data: {} })).toBe(false);
    expect(policies.checkAction(alice, 'deleteAccount')).toBe(false);
    expect(policies.check(alice, 'Post', 'read')).toBe(true);
    expect(policies.check(alice, 'Post', 'insert')).toBe(false);
  });

  it('lets isAdmin through everything', () => {
    const admin = { ...alice, isAdmin: true };
    expect(policies.check(admin, 'Invoice', 'delete')).toBe(true);
    expect(policies.check(admin, 'Todo', 'read', { data: { authorId: 'bob' } })).toBe(true);
  });

  it('treats a missing auth context as the anonymous caller', () => {
    expect(policies.check(null, 'Post', 'read')).toBe(true);
    expect(policies.check(undefined, 'Todo', 'read', { data: { authorId: null } })).toBe(false);
    expect(policies.checkAction(null, 'sendInvite')).toBe(false);
  });

  it('denies what does not parse and reports it', () => {
    const broken = pylonPolicies([{ name: 'typo', entity: 'Note', allow: "auth.userId = 'x'" }]);
    expect(broken.problems).toMatchObject([{ policy: 'typo', key: 'allow' }]);
    expect(broken.check({ ...alice, userId: 'x' }, 'Note', 'read')).toBe(false);
  });

  it('refuses a malformed list at construction', () => {
    expect(() => pylonPolicies([{ name: 'p', entity: 'E', allowRead: 'true' } as never])).toThrow(TypeError);
    expect(() => pylonPolicies({} as never)).toThrow(TypeError);
  });

  it('is exported from the package root too', async () => {
    const root = await import('../src/index.js');
    expect(root.pylonPolicies).toBe(pylonPolicies);
  });
});

// The authContext an app really has: the body of GET /api/auth/me, passed as it comes.
describe.each(testDatabases)('pylonPolicies with /api/auth/me from a real Pylon on $kind', (database) => {
  let t: TestServer;
  const me = async (token?: string) => {
    const response = await t.request('/api/auth/me', {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as PolicyAuthContext;
  };

  beforeAll(async () => {
    t = await startTestServer(database);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a signed-in user reads their own todo, not another’s; anonymous reads neither', async () => {
    const post = (path: string, body: unknown) =>
      t.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const email = `carol-${database.kind}@acme.example`;
    const sent = (await (await post('/api/auth/magic/send', { email })).json()) as { dev_code: string };
    const verified = (await (
      await post('/api/auth/magic/verify', { email, code: sent.dev_code })
    ).json()) as {
      token: string;
      user_id: string;
    };
    const carol = await me(verified.token);
    expect(carol.userId).toBe(verified.user_id);

    const policies = pylonPolicies(definitions);
    expect(policies.check(carol, 'Todo', 'read', { data: { authorId: verified.user_id } })).toBe(true);
    expect(policies.check(carol, 'Todo', 'read', { data: { authorId: 'someone-else' } })).toBe(false);
    expect(policies.checkAction(carol, 'sendInvite')).toBe(true);

    const anonymous = await me();
    expect(anonymous.userId).toBeNull();
    expect(policies.check(anonymous, 'Todo', 'read', { data: { authorId: null } })).toBe(false);
    expect(policies.checkAction(anonymous, 'sendInvite')).toBe(false);
  });
});
