import { PylonError } from '@pylon/core';
import type { AuditActor } from '../../audit/audit-log.js';
import type { AuthContext } from '../../http/auth-context.js';
import type { AppContext } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import type { CapabilityReading } from '../../storage/capability-versions.js';
import { PYLON_APP_ID, PYLON_CAPABILITY_SET, type PylonCapability } from './builtin-schema.js';
import type { RBACContext } from './context.js';

/** Who calls the RBAC surface: the deployment admin (admin token) or a signed-in person. */
export type RBACCaller =
  | { kind: 'admin' }
  | {
      kind: 'person';
      userId: string;
      email: string;
      sessionExpiresAt: number;
      /** An API key's scopes: when non-empty, nothing outside them is allowed or minted. */
      scopes: string[];
      /** The capability version read with the caller, if any (AuthContext.capabilityVersion). */
      capabilityVersion: CapabilityReading | null;
    };

/** Who an RBAC change is audited as: the admin token, or the person by id and email. */
export function auditActor(caller: RBACCaller): AuditActor {
  if (caller.kind === 'admin') return { type: 'admin' };
  // An external issuer's subject acts under its derived `ext_` id (features/external-jwt).
  const type = caller.userId.startsWith('ext_') ? 'external' : 'user';
  return { type, id: caller.userId, email: caller.email };
}

/** The name an RBAC change is audited under (the admin token is `admin`). */
export function callerName(caller: RBACCaller): string {
  return caller.kind === 'admin' ? 'admin' : caller.email;
}

/**
 * The caller of an RBAC route on the org `c.get('orgId')`. A session must carry an email (guests
 * cannot), must not have expired (`expired`, told apart from an unknown token by the session
 * resolver's one read), and must not be bound to another org (`org_mismatch`).
 */
export async function rbacCaller(c: AppContext, context: RBACContext): Promise<RBACCaller> {
  return rbacCallerOf(await getAuth(c, context.services), c.get('orgId'));
}

/** rbacCaller from the resolved caller and the org the request acts in. */
export function rbacCallerOf(auth: AuthContext, orgId: string): RBACCaller {
  if (auth.isAdmin) return { kind: 'admin' };
  // An API key of a person is accepted wherever a session is, within its scopes; a
  // token from a configured external issuer stands for the person it names.
  if (
    (auth.authMethod === 'api_key' || auth.authMethod === 'external_jwt') &&
    auth.userId !== null &&
    auth.email !== null
  ) {
    requireProvenEmail(auth.emailVerified);
    return {
      kind: 'person',
      userId: auth.userId,
      email: auth.email,
      // An API key's expiry; 0 for a key without one (and an external JWT, checked per request).
      sessionExpiresAt: auth.apiKey ? (auth.sessionExpiresAt ?? 0) : 0,
      scopes: auth.apiKey?.scopes ?? [],
      capabilityVersion: auth.capabilityVersion ?? null,
    };
  }
  if (auth.authMethod !== 'session' || auth.userId === null) {
    throw new PylonError(auth.sessionLookup === 'expired' ? 'expired' : 'no_session');
  }
  if (auth.tenantId !== null && auth.tenantId !== orgId) {
    throw new PylonError('org_mismatch');
  }
  if (auth.email === null)
    throw new PylonError('no_session', { message: 'A session without an email cannot use the RBAC service' });
  requireProvenEmail(auth.emailVerified);
  return {
    kind: 'person',
    userId: auth.userId,
    email: auth.email,
    sessionExpiresAt: auth.sessionExpiresAt ?? 0,
    scopes: [],
    capabilityVersion: auth.capabilityVersion ?? null,
  };
}

/**
 * Grants name email addresses, and scoped tokens carry the email as `sub`: an address counts only
 * once proven, or whoever registered a granted address first would hold its grants.
 */
function requireProvenEmail(emailVerified: boolean): void {
  if (!emailVerified) {
    throw new PylonError('email_not_verified');
  }
}

/** A caller who passed a capability check, with every `pylon` capability they may exercise here. */
export interface PylonHolder {
  caller: RBACCaller;
  held: ReadonlySet<string>;
}

/**
 * The caller, if they hold `capability` in the org's built-in `pylon` app — computed by the same
 * resolver that mints scoped tokens. The admin token holds every `pylon:*` capability; an API key
 * exercises only those among its scopes.
 */
export async function requirePylonCapability(
  c: AppContext,
  context: RBACContext,
  capability: PylonCapability,
): Promise<PylonHolder> {
  const caller = await rbacCaller(c, context);
  if (caller.kind === 'admin') return { caller, held: PYLON_CAPABILITY_SET };
  const answer = await context.capabilities.resolve(c.get('orgId'), PYLON_APP_ID, {
    email: caller.email,
    userId: caller.userId,
  });
  const caps = answer.kind === 'ok' ? answer.caps : [];
  const held = new Set(caller.scopes.length === 0 ? caps : caps.filter((cap) => caller.scopes.includes(cap)));
  if (!held.has(capability)) {
    throw new PylonError('insufficient_capability', { message: `This needs ${capability}` });
  }
  return { caller, held };
}

/** requirePylonCapability's caller alone. */
export async function requireCapability(
  c: AppContext,
  context: RBACContext,
  capability: PylonCapability,
): Promise<RBACCaller> {
  return (await requirePylonCapability(c, context, capability)).caller;
}
