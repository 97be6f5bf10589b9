import { describe, expect, it } from 'vitest';
import { createPolicySet, ENTITY_ACTIONS, POLICY_FALLBACK, type PolicyAuth } from '../../src/policy/index.js';

const alice: PolicyAuth = { userId: 'alice', isAdmin: false, roles: ['member'], tenantId: 'org_1' };
const admin: PolicyAuth = { userId: 'root', isAdmin: true, roles: [], tenantId: null };

describe('createPolicySet', () => {
  it('denies an entity with no policy, even with a policy on another entity', () => {
    const set = createPolicySet([{ name: 'public', entity: 'Post', allow: 'true' }]);
    expect(set.checkEntity('Secret', 'read', { auth: alice })).toEqual({
      allowed: false,
      reason: 'no_policy',
    });
    expect(set.checkEntity('post', 'read', { auth: alice }).allowed).toBe(false);
    expect(set.checkEntity('Post', 'read', { auth: alice })).toEqual({ allowed: true, reason: 'policies' });
    expect(createPolicySet([]).checkEntity('Post', 'read', { auth: alice }).allowed).toBe(false);
  });

  it('lets an admin through every policy, including a missing one and a false one', () => {
    const set = createPolicySet([{ name: 'closed', entity: 'Post', allow: 'false' }]);
    for (const action of ENTITY_ACTIONS) {
      expect(set.checkEntity('Post', action, { auth: admin })).toEqual({ allowed: true, reason: 'admin' });
      expect(set.checkEntity('Unlisted', action, { auth: admin }).allowed).toBe(true);
      expect(set.checkEntity('Post', action, { auth: alice }).allowed).toBe(false);
    }
    expect(set.checkAction('anything', { auth: admin }).allowed).toBe(true);
  });

  it('the role named admin is not the admin flag', () => {
    const set = createPolicySet([{ name: 'closed', entity: 'Post', allow: 'false' }]);
    expect(set.checkEntity('Post', 'read', { auth: { ...alice, roles: ['admin'] } }).allowed).toBe(false);
  });

  it('ANDs every policy on the entity', () => {
    const set = createPolicySet([
      { name: 'signed-in', entity: 'Doc', allow: 'auth.userId != null' },
      { name: 'tenant', entity: 'Doc', allow: 'data.orgId == auth.tenantId' },
    ]);
    expect(set.checkEntity('Doc', 'read', { auth: alice, data: { orgId: 'org_1' } }).allowed).toBe(true);
    expect(set.checkEntity('Doc', 'read', { auth: alice, data: { orgId: 'org_2' } })).toEqual({
      allowed: false,
      reason: 'denied',
      policy: 'tenant',
    });
    const anonymous = { userId: null, isAdmin: false, roles: [], tenantId: null };
    expect(set.checkEntity('Doc', 'read', { auth: anonymous, data: { orgId: null } })).toEqual({
      allowed: false,
      reason: 'denied',
      policy: 'signed-in',
    });
  });

  describe('the fallback order of allow_* keys', () => {
    it('is documented as data', () => {
      expect(POLICY_FALLBACK).toEqual({
        read: ['allow_read', 'allow'],
        insert: ['allow_insert', 'allow_write', 'allow'],
        update: ['allow_update', 'allow_write', 'allow'],
        delete: ['allow_delete', 'allow_write', 'allow'],
      });
    });

    // Each key holds an expression true only for the action under test, so the one that wins shows.
    const marked = (key: string) => `input.key == '${key}'`;
    const decide = (
      definition: Record<string, string>,
      action: (typeof ENTITY_ACTIONS)[number],
      key: string,
    ) =>
      createPolicySet([{ name: 'p', entity: 'E', ...definition }]).checkEntity('E', action, {
        auth: alice,
        input: { key },
      }).allowed;

    const all = {
      allow: marked('allow'),
      allow_read: marked('allow_read'),
      allow_insert: marked('allow_insert'),
      allow_update: marked('allow_update'),
      allow_delete: marked('allow_delete'),
      allow_write: marked('allow_write'),
    };

    it('picks the most specific key', () => {
      for (const action of ENTITY_ACTIONS) {
        expect(decide(all, action, `allow_${action}`)).toBe(true);
        expect(decide(all, action, 'allow')).toBe(false);
        expect(decide(all, action, 'allow_write')).toBe(false);
      }
    });

    it('falls back to allow_write for writes, never for reads', () => {
      const { allow_insert: _i, allow_update: _u, allow_delete: _d, ...writeOnly } = all;
      for (const action of ['insert', 'update', 'delete'] as const) {
        expect(decide(writeOnly, action, 'allow_write')).toBe(true);
      }
      const { allow_read: _r, ...noRead } = all;
      expect(decide(noRead, 'read', 'allow')).toBe(true);
      expect(decide(noRead, 'read', 'allow_write')).toBe(false);
    });

    it('falls back to allow last; an empty string counts as absent', () => {
      for (const action of ENTITY_ACTIONS) {
        expect(decide({ allow: marked('allow') }, action, 'allow')).toBe(true);
        expect(decide({ allow: marked('allow'), [`allow_${action}`]: '' }, action, 'allow')).toBe(true);
      }
    });

    it('denies an action no key covers (a read-only policy does not open writes)', () => {
      const set = createPolicySet([{ name: 'readable', entity: 'E', allow_read: 'true' }]);
      expect(set.checkEntity('E', 'read', { auth: alice }).allowed).toBe(true);
      for (const action of ['insert', 'update', 'delete'] as const) {
        expect(set.checkEntity('E', action, { auth: alice })).toEqual({ allowed: false, reason: 'no_rule' });
      }
    });

    it('a policy without a rule for the action is skipped, not a veto', () => {
      const set = createPolicySet([
        { name: 'reads', entity: 'E', allow_read: 'true' },
        { name: 'writes', entity: 'E', allow_write: 'auth.userId != null' },
      ]);
      expect(set.checkEntity('E', 'read', { auth: alice }).allowed).toBe(true);
      expect(set.checkEntity('E', 'update', { auth: alice }).allowed).toBe(true);
    });
  });

  it('an expression that does not parse denies, and is listed in problems', () => {
    const set = createPolicySet([
      { name: 'ok', entity: 'E', allow: 'true' },
      { name: 'typo', entity: 'E', allow_read: 'auth.userId = null' },
    ]);
    expect(set.checkEntity('E', 'read', { auth: alice })).toEqual({
      allowed: false,
      reason: 'parse_error',
      policy: 'typo',
    });
    expect(set.checkEntity('E', 'insert', { auth: alice }).allowed).toBe(true);
    expect(set.problems).toEqual([
      { policy: 'typo', key: 'allow_read', message: expect.any(String), position: 12 },
    ]);
  });

  it('action policies: allow over input; an action with no policy is denied', () => {
    const set = createPolicySet([
      { name: 'send', action: 'sendInvite', allow: "auth.hasRole('member') && input.orgId == auth.tenantId" },
    ]);
    expect(set.checkAction('sendInvite', { auth: alice, input: { orgId: 'org_1' } }).allowed).toBe(true);
    expect(set.checkAction('sendInvite', { auth: alice, input: { orgId: 'org_2' } }).allowed).toBe(false);
    expect(set.checkAction('deleteEverything', { auth: alice })).toEqual({
      allowed: false,
      reason: 'no_policy',
    });
    expect(set.checkEntity('sendInvite', 'read', { auth: alice }).allowed).toBe(false);
  });

  it('an unknown action name denies rather than throws', () => {
    const set = createPolicySet([{ name: 'p', entity: 'E', allow: 'true' }]);
    for (const action of ['write', 'constructor', 'toString']) {
      expect(set.checkEntity('E', action as 'read', { auth: alice }).allowed).toBe(false);
    }
  });

  it('entity names are not looked up on Object.prototype', () => {
    const set = createPolicySet([{ name: 'p', entity: 'E', allow: 'true' }]);
    expect(set.checkEntity('constructor', 'read', { auth: alice }).allowed).toBe(false);
    expect(set.checkAction('__proto__', { auth: alice }).allowed).toBe(false);
  });

  it('refuses malformed definitions at construction', () => {
    const bad: unknown[] = [
      'not an array',
      [null],
      [{ entity: 'E', allow: 'true' }],
      [{ name: '', entity: 'E' }],
      [{ name: 'p', allow: 'true' }],
      [{ name: 'p', entity: 'E', allow: true }],
      [{ name: 'p', entity: 3 }],
      [{ name: 'p', entity: 'E', allowRead: 'true' }],
      [{ name: 'p', entity: 'E', allow_create: 'true' }],
    ];
    for (const definitions of bad) {
      expect(() => createPolicySet(definitions as never), JSON.stringify(definitions)).toThrow(TypeError);
    }
    expect(() => createPolicySet([{ name: 'p', entity: 'E', description: 'x' } as never])).not.toThrow();
  });
});
