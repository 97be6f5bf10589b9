// Policy expressions and policy sets: pure, no I/O. Also published as `@pylon/core/policy`, so the
// SDK's `@pylon/sdk/policies` pulls in nothing else of core.
export {
  ANONYMOUS_AUTH,
  evaluatePolicyExpression,
  type PolicyAuth,
  type PolicyContext,
} from './evaluate.js';
export {
  type AuthField,
  MAX_POLICY_NESTING,
  type Operand,
  type PolicyExpression,
  type PolicyParseError,
  type PolicyParseResult,
  parsePolicyExpression,
} from './parse.js';
export {
  createPolicySet,
  ENTITY_ACTIONS,
  type EntityAction,
  POLICY_FALLBACK,
  type PolicyDecision,
  type PolicyDefinition,
  type PolicyProblem,
  type PolicySet,
} from './policy-set.js';
