import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  evaluatePolicyExpression,
  type PolicyContext,
  type PolicyExpression,
  parsePolicyExpression,
} from '../../src/policy/index.js';

// Pieces of the grammar, valid and broken, so random soups often come close to parsing.
const pieces = [
  '(',
  ')',
  '!',
  '&&',
  '||',
  '==',
  '!=',
  '=',
  '&',
  '|',
  'true',
  'false',
  'null',
  "'a'",
  '"b"',
  "'\\n'",
  "'\\'",
  '\\',
  "'",
  '"',
  'auth.userId',
  'auth.user_id',
  'auth.isAdmin',
  'auth.tenantId',
  'auth.email',
  'data.x',
  'data.y.z',
  'input.x',
  'data.',
  'dta.x',
  "auth.hasRole('a')",
  "auth.hasAnyRole('a', 'b')",
  'auth.hasRole(',
  "data.x.startsWith('a')",
  'data.x.endsWith(input.x)',
  'in',
  '[',
  ']',
  ',',
  ' ',
  '1',
];
const soup = fc.array(fc.constantFrom(...pieces), { maxLength: 25 }).map((parts) => parts.join(' '));
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ maxLength: 80 }), soup);

const operand = fc.constantFrom(
  'null',
  'true',
  'false',
  "'a'",
  '"b"',
  'auth.userId',
  'auth.tenantId',
  'auth.email',
  'auth.isAdmin',
  'data.x',
  'data.y',
  'data.n',
  'input.x',
  'data.nested.id',
);
const expression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    operand,
    fc.tuple(operand, fc.constantFrom('==', '!='), operand).map(([l, op, r]) => `${l} ${op} ${r}`),
    fc.tuple(operand, fc.array(operand, { maxLength: 3 })).map(([l, list]) => `${l} in [${list.join(', ')}]`),
    fc.constantFrom(
      "auth.hasRole('a')",
      "auth.hasAnyRole('b', 'c')",
      "data.x.startsWith('a')",
      'data.x.endsWith(input.x)',
    ),
    tie('e').map((e) => `!${e}`),
    tie('e').map((e) => `(${e})`),
    fc.tuple(tie('e'), fc.constantFrom('&&', '||'), tie('e')).map(([l, op, r]) => `${l} ${op} ${r}`),
  ),
})).e;

const value = fc.oneof(
  fc.constantFrom('a', 'b', 'alice', '', null, true, false, 0, 1),
  fc.constant({ id: 'a' }),
  fc.constant(['a']),
);
const context: fc.Arbitrary<PolicyContext> = fc.record({
  auth: fc.record({
    userId: fc.constantFrom(null, 'a', 'alice'),
    isAdmin: fc.boolean(),
    roles: fc.subarray(['a', 'b', 'c']),
    tenantId: fc.constantFrom(null, 'a', 'org'),
    email: fc.constantFrom(null, 'a', 'alice@example.com'),
  }),
  data: fc.oneof(
    fc.constant(undefined),
    fc.record({ x: value, y: value, n: value, nested: fc.record({ id: value }) }),
  ),
  input: fc.oneof(fc.constant(undefined), fc.record({ x: value })),
});

const doubleNegation = (e: PolicyExpression): PolicyExpression => ({
  type: 'not',
  operand: { type: 'not', operand: e },
});

describe('policy parser properties (fast-check)', () => {
  it('never throws, on any input; a result is always ok or an error with a position inside it', () => {
    fc.assert(
      fc.property(anyText, (source) => {
        const parsed = parsePolicyExpression(source);
        if (!parsed.ok) {
          expect(parsed.error.position).toBeGreaterThanOrEqual(0);
          expect(parsed.error.position).toBeLessThanOrEqual(source.length);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('evaluation of whatever parses never throws and gives a boolean', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, expression), context, (source, ctx) => {
        const parsed = parsePolicyExpression(source);
        if (parsed.ok) expect(typeof evaluatePolicyExpression(parsed.expression, ctx)).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('the generated grammar parses', () => {
    fc.assert(
      fc.property(expression, (source) => parsePolicyExpression(source).ok),
      { numRuns: 1000 },
    );
  });

  it('!!e evaluates as e wherever e parses (as text and as an AST)', () => {
    fc.assert(
      fc.property(fc.oneof(expression, soup), context, (source, ctx) => {
        const parsed = parsePolicyExpression(source);
        if (!parsed.ok) return;
        const direct = evaluatePolicyExpression(parsed.expression, ctx);
        expect(evaluatePolicyExpression(doubleNegation(parsed.expression), ctx)).toBe(direct);
        const wrapped = parsePolicyExpression(`!!(${source})`);
        if (wrapped.ok) expect(evaluatePolicyExpression(wrapped.expression, ctx)).toBe(direct);
        else expect(wrapped.error.message).toMatch(/nested/);
      }),
      { numRuns: 2000 },
    );
  });
});
