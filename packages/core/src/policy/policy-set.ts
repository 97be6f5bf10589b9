// Policies per entity and per action, as the seed's manifest lists them. Every expression is
// parsed once here; checks only evaluate. Deny is the default everywhere: an entity (or action)
// with no policy, an action with no rule among its entity's policies, and an expression that does
// not parse all deny. Admins (`isAdmin`) bypass every policy.

import { evaluatePolicyExpression, type PolicyContext } from './evaluate.js';
import { type PolicyExpression, type PolicyParseResult, parsePolicyExpression } from './parse.js';

export interface PolicyDefinition {
  readonly name: string;
  readonly entity?: string;
  readonly action?: string;
  readonly allow?: string;
  readonly allow_read?: string;
  readonly allow_insert?: string;
  readonly allow_update?: string;
  readonly allow_delete?: string;
  readonly allow_write?: string;
}

export const ENTITY_ACTIONS = ['read', 'insert', 'update', 'delete'] as const;
export type EntityAction = (typeof ENTITY_ACTIONS)[number];

const EXPRESSION_KEYS = [
  'allow',
  'allow_read',
  'allow_insert',
  'allow_update',
  'allow_delete',
  'allow_write',
] as const;
type ExpressionKey = (typeof EXPRESSION_KEYS)[number];

/**
 * Most specific first; an absent or empty key falls through to the next. Reads never fall back to
 * `allow_write`, and writes never to `allow_read`.
 */
export const POLICY_FALLBACK: Readonly<Record<EntityAction, readonly ExpressionKey[]>> = {
  read: ['allow_read', 'allow'],
  insert: ['allow_insert', 'allow_write', 'allow'],
  update: ['allow_update', 'allow_write', 'allow'],
  delete: ['allow_delete', 'allow_write', 'allow'],
};

export type PolicyDecision =
  | { readonly allowed: true; readonly reason: 'admin' | 'policies' }
  | {
      readonly allowed: false;
      /**
       * `no_policy`: nothing names this entity or action; `no_rule`: its policies have no
       * expression for this action; `denied`: an expression was false; `parse_error`: one did
       * not parse.
       */
      readonly reason: 'no_policy' | 'no_rule' | 'denied' | 'parse_error';
      readonly policy?: string;
    };

export interface PolicyProblem {
  readonly policy: string;
  readonly key: ExpressionKey;
  readonly message: string;
  readonly position: number;
}

export interface PolicySet {
  checkEntity(entity: string, action: EntityAction, context: PolicyContext): PolicyDecision;
  checkAction(action: string, context: PolicyContext): PolicyDecision;
  /** Every expression that did not parse (each one denies whatever it guards). */
  readonly problems: readonly PolicyProblem[];
}

interface CompiledPolicy {
  readonly name: string;
  readonly expressions: ReadonlyMap<ExpressionKey, PolicyParseResult>;
}

/**
 * Throws a TypeError for a malformed definition list (a configuration mistake, caught at start-up);
 * an expression that does not parse is not thrown but listed in `problems`, and denies.
 */
export function createPolicySet(definitions: readonly PolicyDefinition[]): PolicySet {
  if (!Array.isArray(definitions)) throw new TypeError('policy definitions must be an array');
  const byEntity = new Map<string, CompiledPolicy[]>();
  const byAction = new Map<string, CompiledPolicy[]>();
  const problems: PolicyProblem[] = [];
  const cache = new Map<string, PolicyParseResult>();

  definitions.forEach((definition, index) => {
    checkDefinitionShape(definition, index);
    const expressions = new Map<ExpressionKey, PolicyParseResult>();
    for (const key of EXPRESSION_KEYS) {
      const source = definition[key];
      if (source === undefined || source === '') continue;
      let parsed = cache.get(source);
      if (parsed === undefined) {
        parsed = parsePolicyExpression(source);
        cache.set(source, parsed);
      }
      if (!parsed.ok) problems.push({ policy: definition.name, key, ...parsed.error });
      expressions.set(key, parsed);
    }
    const compiled = { name: definition.name, expressions };
    if (definition.entity !== undefined) append(byEntity, definition.entity, compiled);
    if (definition.action !== undefined) append(byAction, definition.action, compiled);
  });

  return {
    problems: Object.freeze(problems),
    checkEntity(entity, action, context) {
      const keys = POLICY_FALLBACK[action];
      if (keys === undefined || !Object.hasOwn(POLICY_FALLBACK, action)) {
        return { allowed: false, reason: 'no_rule' };
      }
      return decide(byEntity.get(entity), keys, context);
    },
    checkAction(action, context) {
      // An action policy guards with `allow` only, as in the seed.
      return decide(byAction.get(action), ['allow'], context);
    },
  };
}

function decide(
  policies: readonly CompiledPolicy[] | undefined,
  keys: readonly ExpressionKey[],
  context: PolicyContext,
): PolicyDecision {
  if (context.auth?.isAdmin === true) return { allowed: true, reason: 'admin' };
  if (policies === undefined || policies.length === 0) return { allowed: false, reason: 'no_policy' };
  let anyRule = false;
  // Every matching policy must allow: they are ANDed, each one a further gate.
  for (const policy of policies) {
    const parsed = pick(policy, keys);
    if (parsed === undefined) continue;
    anyRule = true;
    if (!parsed.ok) return { allowed: false, reason: 'parse_error', policy: policy.name };
    if (!evaluate(parsed.expression, context))
      return { allowed: false, reason: 'denied', policy: policy.name };
  }
  return anyRule ? { allowed: true, reason: 'policies' } : { allowed: false, reason: 'no_rule' };
}

function pick(policy: CompiledPolicy, keys: readonly ExpressionKey[]): PolicyParseResult | undefined {
  for (const key of keys) {
    const parsed = policy.expressions.get(key);
    if (parsed !== undefined) return parsed;
  }
  return undefined;
}

function evaluate(expression: PolicyExpression, context: PolicyContext): boolean {
  try {
    return evaluatePolicyExpression(expression, context);
  } catch {
    // A context of the wrong shape (say, a getter that throws) denies rather than escapes.
    return false;
  }
}

function append(map: Map<string, CompiledPolicy[]>, key: string, policy: CompiledPolicy): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [policy]);
  else list.push(policy);
}

function checkDefinitionShape(definition: unknown, index: number): asserts definition is PolicyDefinition {
  const where = `policy definition ${index}`;
  if (typeof definition !== 'object' || definition === null) throw new TypeError(`${where} is not an object`);
  const record = definition as Record<string, unknown>;
  if (typeof record['name'] !== 'string' || record['name'] === '') {
    throw new TypeError(`${where} needs a name`);
  }
  for (const key of ['entity', 'action', ...EXPRESSION_KEYS]) {
    if (record[key] !== undefined && typeof record[key] !== 'string') {
      throw new TypeError(`${where}: ${key} must be a string`);
    }
  }
  if (record['entity'] === undefined && record['action'] === undefined) {
    throw new TypeError(`${where} names neither an entity nor an action`);
  }
  // `allowRead` and friends are the seed's TypeScript spellings; in a definition list they would
  // be ignored silently and deny, so they are refused here instead.
  for (const key of Object.keys(record)) {
    if (/^allow/i.test(key) && !(EXPRESSION_KEYS as readonly string[]).includes(key)) {
      throw new TypeError(
        `${where}: unknown key ${key} (expected allow or allow_read|insert|update|delete|write)`,
      );
    }
  }
}
