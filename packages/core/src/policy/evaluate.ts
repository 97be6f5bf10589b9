// Policy expressions, step 3: an AST and a context to a boolean. No type coercion anywhere: `==`
// is strict (the string "1" is not the number 1, "true" is not true), and only the boolean `true`
// is true where a value stands alone (`data.published` allows only when it is exactly true).

import type { AuthField, Operand, PolicyExpression } from './parse.js';

/** The caller, in the shape `GET /api/auth/me` answers with (only these fields are read). */
export interface PolicyAuth {
  readonly userId: string | null;
  readonly isAdmin: boolean;
  readonly roles: readonly string[];
  readonly tenantId: string | null;
  readonly email?: string | null;
}

export interface PolicyContext {
  readonly auth: PolicyAuth;
  /** The row being read or written. */
  readonly data?: unknown;
  /** The request's input (an action's arguments, an insert's payload). */
  readonly input?: unknown;
}

/** Objects and arrays reached by a path: equal to nothing, not even themselves. */
const COMPOUND: unique symbol = Symbol('compound');
type Value = string | number | boolean | null | typeof COMPOUND;

export const ANONYMOUS_AUTH: PolicyAuth = Object.freeze({
  userId: null,
  isAdmin: false,
  roles: Object.freeze([]) as readonly string[],
  tenantId: null,
  email: null,
});

export function evaluatePolicyExpression(expression: PolicyExpression, context: PolicyContext): boolean {
  switch (expression.type) {
    case 'and':
      return expression.operands.every((operand) => evaluatePolicyExpression(operand, context));
    case 'or':
      return expression.operands.some((operand) => evaluatePolicyExpression(operand, context));
    case 'not':
      return !evaluatePolicyExpression(expression.operand, context);
    case 'eq':
      return strictlyEqual(
        expressionValue(expression.left, context),
        operandValue(expression.right, context),
      );
    case 'neq':
      return !strictlyEqual(
        expressionValue(expression.left, context),
        operandValue(expression.right, context),
      );
    case 'in': {
      const left = expressionValue(expression.left, context);
      return expression.list.some((item) => strictlyEqual(left, operandValue(item, context)));
    }
    case 'hasRole': {
      const roles: unknown = context.auth?.roles;
      if (!Array.isArray(roles)) return false;
      return expression.roles.some((role) => roles.includes(role));
    }
    case 'startsWith':
    case 'endsWith': {
      const target = operandValue(expression.target, context);
      const affix = operandValue(expression.affix, context);
      if (typeof target !== 'string' || typeof affix !== 'string') return false;
      return expression.type === 'startsWith' ? target.startsWith(affix) : target.endsWith(affix);
    }
    default:
      return operandValue(expression, context) === true;
  }
}

function expressionValue(expression: PolicyExpression, context: PolicyContext): Value {
  if (expression.type === 'literal' || expression.type === 'auth' || expression.type === 'path') {
    return operandValue(expression, context);
  }
  return evaluatePolicyExpression(expression, context);
}

function strictlyEqual(left: Value, right: Value): boolean {
  return left !== COMPOUND && left === right;
}

function operandValue(operand: Operand, context: PolicyContext): Value {
  switch (operand.type) {
    case 'literal':
      return operand.value;
    case 'auth':
      return authValue(context.auth, operand.field);
    case 'path':
      return walk(operand.root === 'data' ? context.data : context.input, operand.segments);
  }
}

function authValue(auth: PolicyAuth | null | undefined, field: AuthField): Value {
  const value: unknown = auth?.[field];
  if (field === 'isAdmin') return value === true;
  return typeof value === 'string' ? value : null;
}

/** Own properties of plain objects only: `data.constructor` is null, never a prototype's member. */
function walk(root: unknown, segments: readonly string[]): Value {
  let current: unknown = root;
  for (const segment of segments) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return null;
    if (!Object.hasOwn(current, segment)) return null;
    current = (current as Record<string, unknown>)[segment];
  }
  return toValue(current);
}

function toValue(value: unknown): Value {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : COMPOUND;
  return COMPOUND;
}
