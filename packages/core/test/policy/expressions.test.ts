import { describe, expect, it } from 'vitest';
import {
  evaluatePolicyExpression,
  MAX_POLICY_NESTING,
  type PolicyAuth,
  type PolicyContext,
  parsePolicyExpression,
} from '../../src/policy/index.js';

const alice: PolicyAuth = {
  userId: 'alice',
  isAdmin: false,
  roles: ['editor', 'member'],
  tenantId: 'org_1',
  email: 'alice@acme.example',
};
const anonymous: PolicyAuth = { userId: null, isAdmin: false, roles: [], tenantId: null, email: null };

/** Parses (failing the test when it does not) and evaluates. */
function allows(source: string, context: PolicyContext): boolean {
  const parsed = parsePolicyExpression(source);
  if (!parsed.ok) throw new Error(`did not parse: ${source}: ${parsed.error.message}`);
  return evaluatePolicyExpression(parsed.expression, context);
}

function parseError(source: string) {
  const parsed = parsePolicyExpression(source);
  expect(parsed.ok, source).toBe(false);
  return parsed.ok ? undefined : parsed.error;
}

describe('the seed’s examples', () => {
  const read = 'auth.userId != null && data.authorId == auth.userId';
  const write = "auth.userId == data.authorId || auth.hasRole('admin')";

  it('read: signed in and the author', () => {
    expect(allows(read, { auth: alice, data: { authorId: 'alice' } })).toBe(true);
    expect(allows(read, { auth: alice, data: { authorId: 'bob' } })).toBe(false);
  });

  it('read: the null guard keeps the anonymous out of ownerless rows', () => {
    expect(allows(read, { auth: anonymous, data: { authorId: null } })).toBe(false);
    // Without the guard, null == null holds: this is why the seed writes it.
    expect(allows('data.authorId == auth.userId', { auth: anonymous, data: {} })).toBe(true);
  });

  it('write: the author, or anyone with the admin role', () => {
    expect(allows(write, { auth: alice, data: { authorId: 'alice' } })).toBe(true);
    expect(allows(write, { auth: alice, data: { authorId: 'bob' } })).toBe(false);
    const roleAdmin = { ...alice, roles: ['admin'] };
    expect(allows(write, { auth: roleAdmin, data: { authorId: 'bob' } })).toBe(true);
  });

  it('row scoping by tenant: auth.tenantId', () => {
    const scoped = 'auth.tenantId != null && data.orgId == auth.tenantId';
    expect(allows(scoped, { auth: alice, data: { orgId: 'org_1' } })).toBe(true);
    expect(allows(scoped, { auth: alice, data: { orgId: 'org_2' } })).toBe(false);
    expect(allows(scoped, { auth: { ...alice, tenantId: null }, data: { orgId: null } })).toBe(false);
  });
});

describe('operators', () => {
  const context = { auth: alice, data: { a: true, b: false, s: 'x' }, input: { s: 'x' } };

  it('literals', () => {
    expect(allows('true', context)).toBe(true);
    expect(allows('false', context)).toBe(false);
    expect(allows('null', context)).toBe(false);
  });

  it('&& and || with their truth tables', () => {
    for (const [l, r] of [
      [true, true],
      [true, false],
      [false, true],
      [false, false],
    ]) {
      expect(allows(`${l} && ${r}`, context)).toBe(l && r);
      expect(allows(`${l} || ${r}`, context)).toBe(l || r);
    }
  });

  it('&& binds tighter than ||; parentheses override', () => {
    expect(allows('true || false && false', context)).toBe(true);
    expect(allows('(true || false) && false', context)).toBe(false);
  });

  it('! negates, and binds tighter than ==', () => {
    expect(allows('!false', context)).toBe(true);
    expect(allows('!!true', context)).toBe(true);
    expect(allows('!data.a', context)).toBe(false);
    // (!data.s) == false: !'x' is true (a string is not true), and true == false does not hold.
    expect(allows("!data.s == 'x'", context)).toBe(false);
    expect(allows("!(data.s == 'x')", context)).toBe(false);
    expect(allows("!(data.s == 'y')", context)).toBe(true);
  });

  it('== and != against null, true, false, strings and paths', () => {
    expect(allows('data.missing == null', context)).toBe(true);
    expect(allows('data.a == true', context)).toBe(true);
    expect(allows('data.b == false', context)).toBe(true);
    expect(allows("data.s == 'x'", context)).toBe(true);
    expect(allows('data.s == "x"', context)).toBe(true);
    expect(allows('data.s == input.s', context)).toBe(true);
    expect(allows("data.s != 'x'", context)).toBe(false);
    expect(allows('data.s != null', context)).toBe(true);
    expect(allows("'x' == data.s", context)).toBe(true);
  });

  it('nested data and input paths', () => {
    const nested = { auth: alice, data: { author: { id: 'alice' } }, input: { to: { org: 'org_1' } } };
    expect(allows('data.author.id == auth.userId', nested)).toBe(true);
    expect(allows('input.to.org == auth.tenantId', nested)).toBe(true);
    expect(allows('data.author.id.deeper == null', nested)).toBe(true);
  });

  it('no data or input: every path is null', () => {
    expect(allows('data.x == null && input.y == null', { auth: alice })).toBe(true);
  });

  it('auth fields and their snake_case aliases', () => {
    const admin = { ...alice, isAdmin: true };
    for (const [camel, snake] of [
      ['userId', 'user_id'],
      ['isAdmin', 'is_admin'],
      ['tenantId', 'tenant_id'],
    ]) {
      expect(allows(`auth.${camel} == auth.${snake}`, { auth: admin })).toBe(true);
    }
    expect(allows("auth.user_id == 'alice'", { auth: alice })).toBe(true);
    expect(allows("auth.tenant_id == 'org_1'", { auth: alice })).toBe(true);
    expect(allows('auth.isAdmin', { auth: alice })).toBe(false);
    expect(allows('auth.is_admin', { auth: admin })).toBe(true);
  });

  it('hasRole and hasAnyRole', () => {
    expect(allows("auth.hasRole('editor')", { auth: alice })).toBe(true);
    expect(allows('auth.hasRole("owner")', { auth: alice })).toBe(false);
    expect(allows("auth.hasRole('Editor')", { auth: alice })).toBe(false);
    expect(allows("auth.hasAnyRole('owner', 'member')", { auth: alice })).toBe(true);
    expect(allows("auth.hasAnyRole('owner', 'admin')", { auth: alice })).toBe(false);
    expect(allows("auth.hasAnyRole('a,b')", { auth: { ...alice, roles: ['a,b'] } })).toBe(true);
    expect(allows("auth.hasRole('member')", { auth: anonymous })).toBe(false);
  });
});

describe('no type coercion', () => {
  const context = {
    auth: alice,
    data: { n: 1, s: '1', t: 'true', yes: true, empty: '', zero: 0, list: ['alice'], object: { id: 'a' } },
  };

  it('a string is never equal to a number or a boolean', () => {
    expect(allows("data.n == '1'", context)).toBe(false);
    expect(allows('data.n == data.s', context)).toBe(false);
    expect(allows('data.t == true', context)).toBe(false);
    expect(allows("data.yes == 'true'", context)).toBe(false);
    expect(allows('data.zero == false', context)).toBe(false);
    expect(allows('data.empty == null', context)).toBe(false);
    expect(allows('data.empty == false', context)).toBe(false);
  });

  it('numbers compare with numbers only', () => {
    expect(allows('data.n == data.n', context)).toBe(true);
    expect(allows('data.n == input.n', { ...context, input: { n: 1 } })).toBe(true);
    expect(allows('data.n == input.n', { ...context, input: { n: '1' } })).toBe(false);
  });

  it('only true is true where a value stands alone', () => {
    expect(allows('data.yes', context)).toBe(true);
    expect(allows('data.t', context)).toBe(false);
    expect(allows('data.n', context)).toBe(false);
    expect(allows('data.object', context)).toBe(false);
    expect(allows("'non-empty'", context)).toBe(false);
  });

  it('objects and arrays equal nothing, not even themselves', () => {
    expect(allows('data.object == data.object', context)).toBe(false);
    expect(allows('data.list == data.list', context)).toBe(false);
    expect(allows('data.object == null', context)).toBe(false);
    expect(allows('data.object != null', context)).toBe(true);
    expect(allows("data.list.0 == 'alice'", context)).toBe(false);
  });

  it('a path reads own properties only, never the prototype', () => {
    expect(allows('data.constructor == null', context)).toBe(true);
    expect(allows('data.toString == null', context)).toBe(true);
    expect(allows('data.__proto__ == null', { auth: alice, data: {} })).toBe(true);
  });
});

describe('string literals and escapes', () => {
  const cases: [string, string][] = [
    ["'it\\'s'", "it's"],
    ['"say \\"hi\\""', 'say "hi"'],
    ["'back\\\\slash'", 'back\\slash'],
    ["'a\\nb'", 'a\nb'],
    ["'a\\rb'", 'a\rb'],
    ["'a\\tb'", 'a\tb'],
    ["'a\\0b'", 'a\0b'],
    ['"it\'s"', "it's"],
    ['\'say "hi"\'', 'say "hi"'],
    ["'ünïcødé ✓ 🚀'", 'ünïcødé ✓ 🚀'],
    ["''", ''],
  ];
  for (const [literal, value] of cases) {
    it(`${literal} is ${JSON.stringify(value)}`, () => {
      expect(allows(`data.v == ${literal}`, { auth: alice, data: { v: value } })).toBe(true);
    });
  }

  it('an unknown escape is a parse error, not a guess', () => {
    for (const sequence of ['\\x41', '\\u0041', '\\a', '\\q']) {
      expect(parseError(`data.v == '${sequence}'`)?.message).toMatch(/escape/);
    }
  });

  it('an unterminated string is a parse error', () => {
    expect(parseError("data.v == 'open")?.message).toMatch(/unterminated/);
    expect(parseError("data.v == 'ends in a backslash\\")?.message).toMatch(/unterminated/);
  });
});

describe('parse errors', () => {
  const bad = [
    '',
    '   ',
    'auth.userId = null',
    'true & false',
    'true | false',
    '(true',
    'true)',
    'true true',
    '&& true',
    'auth.userId ==',
    'auth.hasRole()',
    "auth.hasRole('a', 'b')",
    'auth.hasRole(admin)',
    "auth.hasAnyRole('a',)",
    "auth.hasRole('admin'",
    "auth.nope('x')",
    "exists('x')",
    'auth.unknownField == null',
    'auth.userId.x == null',
    'auth == null',
    'data == null',
    'data. == null',
    'data..x == null',
    'dta.x == null',
    'now == null',
    'data.x == 1',
    'data.x < data.y',
    'data.x == (true)',
    '#',
    'data.x == `y`',
    '!dta.x',
  ];
  for (const source of bad) {
    it(`refuses ${JSON.stringify(source)}`, () => {
      const error = parseError(source);
      expect(error?.position).toBeGreaterThanOrEqual(0);
      expect(error?.position).toBeLessThanOrEqual(source.length);
    });
  }

  it('reports where it stopped', () => {
    expect(parseError('true && auth.userId = x')?.position).toBe(20);
  });

  it(`caps nesting at ${MAX_POLICY_NESTING}`, () => {
    const deep = (n: number) => '('.repeat(n) + 'true' + ')'.repeat(n);
    expect(parsePolicyExpression(deep(MAX_POLICY_NESTING)).ok).toBe(true);
    expect(parseError(deep(MAX_POLICY_NESTING + 1))?.message).toMatch(/nested/);
    expect(parseError('!'.repeat(100_000) + 'true')?.message).toMatch(/nested/);
  });

  it('a long flat chain is fine (no recursion per operand)', () => {
    expect(allows(Array(20_000).fill('true').join(' && '), { auth: alice })).toBe(true);
  });

  it('a non-string is a parse error, not an exception', () => {
    expect(parsePolicyExpression(undefined as unknown as string).ok).toBe(false);
  });
});

describe('the superset: auth.email, in [...], startsWith, endsWith', () => {
  const context = {
    auth: alice,
    data: { status: 'draft', path: '/org_1/notes', n: 1 },
    input: { s: 'draft' },
  };

  it('auth.email', () => {
    expect(allows("auth.email == 'alice@acme.example'", context)).toBe(true);
    expect(allows('auth.email == null', { auth: anonymous })).toBe(true);
    expect(allows('auth.email == null', { auth: { ...alice, email: undefined } })).toBe(true);
  });

  it('in [...] matches strictly, against literals and paths', () => {
    expect(allows("data.status in ['draft', 'review']", context)).toBe(true);
    expect(allows("data.status in ['published']", context)).toBe(false);
    expect(allows('data.status in [input.s]', context)).toBe(true);
    expect(allows('data.status in []', context)).toBe(false);
    expect(allows('data.missing in [null]', context)).toBe(true);
    expect(allows("data.n in ['1']", context)).toBe(false);
    expect(allows("!(data.status in ['published'])", context)).toBe(true);
    expect(parsePolicyExpression('data.status in draft').ok).toBe(false);
    expect(parsePolicyExpression("data.status in ['a'").ok).toBe(false);
  });

  it('startsWith and endsWith, strings only', () => {
    expect(allows("auth.email.endsWith('@acme.example')", context)).toBe(true);
    expect(allows("auth.email.endsWith('@evil.example')", context)).toBe(false);
    expect(allows("data.path.startsWith('/org_1/')", context)).toBe(true);
    expect(allows('data.path.startsWith(auth.tenantId)', context)).toBe(false);
    expect(allows("data.n.startsWith('1')", context)).toBe(false);
    expect(allows("data.missing.startsWith('')", context)).toBe(false);
    expect(allows("auth.email.endsWith('@acme.example')", { auth: anonymous })).toBe(false);
    expect(parsePolicyExpression('data.path.startsWith(null)').ok).toBe(false);
    expect(parsePolicyExpression("auth.hasRole.startsWith('x')").ok).toBe(false);
  });
});
