// `@pylon/sdk/policies`: the seed's policy list checked in the app, with the same parser and rules
// as @pylon/core (and nothing else of it). `authContext` is what `GET /api/auth/me` answers.
import {
  ANONYMOUS_AUTH,
  createPolicySet,
  type EntityAction,
  type PolicyAuth,
  type PolicyDefinition,
  type PolicyProblem,
} from '@pylon/core/policy';

export type { EntityAction, PolicyDefinition, PolicyProblem } from '@pylon/core/policy';

/** The fields of `GET /api/auth/me` a policy reads; the rest of the answer may ride along. */
export interface PolicyAuthContext {
  readonly userId: string | null;
  readonly isAdmin: boolean;
  readonly roles: readonly string[];
  readonly tenantId: string | null;
  readonly email?: string | null;
}

export interface PolicyCheckInput {
  /** The row read or written. */
  readonly data?: unknown;
  /** The request's input. */
  readonly input?: unknown;
}

export interface PylonPolicies {
  /** True when every policy on `entity` allows `action`; false for an entity with none. */
  check(
    authContext: PolicyAuthContext | null | undefined,
    entity: string,
    action: EntityAction,
    values?: PolicyCheckInput,
  ): boolean;
  /** The same for an action policy (`{name, action, allow}`); false for an action with none. */
  checkAction(
    authContext: PolicyAuthContext | null | undefined,
    action: string,
    values?: Pick<PolicyCheckInput, 'input'>,
  ): boolean;
  /** Expressions that did not parse; each denies what it guards. Assert it is empty at start-up. */
  readonly problems: readonly PolicyProblem[];
}

/** Throws a TypeError for a malformed list; parses every expression once. */
export function pylonPolicies(definitions: readonly PolicyDefinition[]): PylonPolicies {
  const set = createPolicySet(definitions);
  // A null context (no session, or /me not fetched) is the anonymous caller.
  const authOf = (authContext: PolicyAuthContext | null | undefined): PolicyAuth =>
    authContext ?? ANONYMOUS_AUTH;
  return {
    problems: set.problems,
    check: (authContext, entity, action, values = {}) =>
      set.checkEntity(entity, action, { auth: authOf(authContext), data: values.data, input: values.input })
        .allowed,
    checkAction: (authContext, action, values = {}) =>
      set.checkAction(action, { auth: authOf(authContext), input: values.input }).allowed,
  };
}
